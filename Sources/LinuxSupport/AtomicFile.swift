import Foundation

/// Writes a small file so that readers and crashes only ever see the old or the new content:
/// temporary name in the same folder, fsync, rename, fsync the folder.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(SystemError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("create", path: temporary) }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        let failure = written ? nil : SystemError("write", path: temporary)
        close(fd)
        do throws(SystemError) {
            if let failure { throw failure }
            try DurableFile.sync(temporary)
            try DurableFile.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
