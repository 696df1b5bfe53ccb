import Foundation

/// Whether a folder the daemon writes into can take a file now: it exists, is a folder, and a
/// small file can be created, written and removed in it (which fails on a full or read-only
/// file system, and for a user without write permission, where `access(2)` would not for root).
public enum FolderCheck {
    /// Bytes written by the check: about one job record.
    static let probeBytes = 4096

    /// Nil when the folder is usable; else what failed, with the errno.
    public static func problem(with folder: String) -> SystemError? {
        var status = stat()
        guard stat(folder, &status) == 0 else { return SystemError("stat", path: folder) }
        guard status.st_mode & S_IFMT == S_IFDIR else { return SystemError("stat", path: folder, code: ENOTDIR) }
        let probe = (folder as NSString).appendingPathComponent(".av1d-write-check-\(getpid())")
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return SystemError("create", path: probe) }
        defer {
            close(fd)
            unlink(probe)
        }
        let bytes = [UInt8](repeating: 0, count: probeBytes)
        let written = write(fd, bytes, bytes.count)
        if written < 0 { return SystemError("write", path: probe) }
        if written < bytes.count { return SystemError("write", path: probe, code: ENOSPC) }
        return nil
    }
}
