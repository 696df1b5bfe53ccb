import Glibc

/// A failed system call: what was attempted, on which path, and the errno the kernel gave, so
/// callers can tell a full disk (`ENOSPC`) from a permission problem (`EACCES`).
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable, Codable {
    public let operation: String
    public let path: String?
    public let code: Int32

    public init(_ operation: String, path: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// The kernel's text for the code, e.g. "No space left on device".
    public var message: String { String(cString: strerror(code)) }

    public var description: String {
        path.map { "\(operation) \($0): \(message)" } ?? "\(operation): \(message)"
    }

    /// The storage is full (`ENOSPC`, or a quota: `EDQUOT`).
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }
    /// Missing, unreachable or read-only: the environment is at fault, not the file being worked on.
    public var isEnvironmental: Bool { isNoSpace || [ENOENT, ENOTDIR, EACCES, EPERM, EROFS, EIO].contains(code) }
}
