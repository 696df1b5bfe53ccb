import Foundation

/// Where a socket binds or connects: a Unix socket path, or an IP address and port.
public struct SocketAddress: Sendable {
    private var storage = sockaddr_storage()
    private var length: socklen_t = 0

    public var family: Int32 { Int32(storage.ss_family) }

    /// A Unix socket path; a leading `@` names Linux's abstract namespace (systemd's
    /// NOTIFY_SOCKET may), spelled with a leading NUL byte and no terminating one.
    public init(unixPath path: String) throws(SocketError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let isAbstract = bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        // sun_path holds the path and its terminating NUL.
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .system("socket path \(path)", ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        withUnsafeBytes(of: address) { source in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) } }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (isAbstract ? 0 : 1))
    }

    private init(_ info: addrinfo) {
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: info.ai_addr, count: Int(info.ai_addrlen))) }
        length = info.ai_addrlen
    }

    /// The addresses `host` names (a name or a numeric IPv4/IPv6 address), for TCP on `port`.
    /// IPv4 ones first: `localhost` should mean 127.0.0.1, the address clients try first.
    public static func resolve(host: String, port: UInt16) throws(SocketError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw SocketError(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))", code: nil)
        }
        defer { freeaddrinfo(list) }
        var (ipv4, ipv6): ([SocketAddress], [SocketAddress]) = ([], [])
        var entry = list
        while let info = entry?.pointee {
            switch info.ai_family {
            case AF_INET: ipv4.append(SocketAddress(info))
            case AF_INET6: ipv6.append(SocketAddress(info))
            default: break
            }
            entry = info.ai_next
        }
        return ipv4 + ipv6
    }

    /// 127.0.0.0/8 or ::1: reachable from this machine only.
    public var isLoopback: Bool {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let address = raw.load(as: sockaddr_in.self).sin_addr.s_addr
                return UInt32(bigEndian: address) >> 24 == 127
            case AF_INET6:
                var loopback = in6addr_loopback
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                return memcmp(&address, &loopback, MemoryLayout<in6_addr>.size) == 0
            default:
                return false
            }
        }
    }

    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
