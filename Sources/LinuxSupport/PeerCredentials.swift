import Foundation

/// Who is at the other end of a Unix socket, as the kernel recorded it at connect time.
public struct PeerCredentials: Sendable, Equatable {
    public let uid: uid_t
    public let gid: gid_t
    /// Supplementary groups of the connecting process.
    public let groups: [gid_t]

    public init(uid: uid_t, gid: gid_t, groups: [gid_t]) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// SO_PEERCRED and SO_PEERGROUPS of a connected Unix socket. SO_PEERGROUPS gives the groups
    /// the client process really holds, unlike getgrouplist of its user, which would also admit
    /// a process that dropped its groups.
    public init(of socket: Socket) throws(SocketError) {
        // The layout of `struct ucred`, which Glibc's Swift module hides behind _GNU_SOURCE.
        var credentials: (pid: pid_t, uid: uid_t, gid: gid_t) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(socket.fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else {
            throw .system("SO_PEERCRED")
        }
        var groups = [gid_t](repeating: 0, count: 64)
        var groupsLength = socklen_t(groups.count * MemoryLayout<gid_t>.size)
        while getsockopt(socket.fd, SOL_SOCKET, SO_PEERGROUPS, &groups, &groupsLength) != 0 {
            // ERANGE: the kernel wrote the length it needs.
            guard errno == ERANGE else { throw .system("SO_PEERGROUPS") }
            groups = [gid_t](repeating: 0, count: Int(groupsLength) / MemoryLayout<gid_t>.size)
        }
        self.init(uid: credentials.uid, gid: credentials.gid,
                  groups: Array(groups.prefix(Int(groupsLength) / MemoryLayout<gid_t>.size)))
    }
}
