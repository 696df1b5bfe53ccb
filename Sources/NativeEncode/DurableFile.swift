import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The steps that make a written file survive a power cut: fsync the data, rename, fsync the folder.
public enum DurableFile {
    /// Flushes a file's data and metadata to stable storage.
    public static func sync(_ path: String) throws(EncodeError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .output("cannot open \(path) to sync: \(lastError())") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .output("fsync \(path): \(lastError())") }
    }

    /// Flushes a folder, so a rename or unlink inside it is durable.
    public static func syncFolder(of path: String) throws(EncodeError) {
        try sync((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
    }

    /// Atomically replaces (or creates) `destination` with `source`, then makes the rename durable.
    public static func rename(_ source: String, to destination: String) throws(EncodeError) {
        if Glibc.rename(source, destination) != 0 {
            throw .output("rename \(source) -> \(destination): \(lastError())")
        }
        try syncFolder(of: destination)
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
