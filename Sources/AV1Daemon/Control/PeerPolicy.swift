import Foundation
import LinuxSupport

/// Who may use the control socket: root, the daemon's own user, and members of its group.
/// The socket file's mode (0660) says the same; this check holds even if the mode is loosened.
struct PeerPolicy: Sendable {
    let uid: uid_t
    let gid: gid_t

    /// The daemon's effective user and group.
    static var daemon: PeerPolicy { PeerPolicy(uid: geteuid(), gid: getegid()) }

    func admits(_ peer: PeerCredentials) -> Bool {
        peer.uid == 0 || peer.uid == uid || peer.gid == gid || peer.groups.contains(gid)
    }
}
