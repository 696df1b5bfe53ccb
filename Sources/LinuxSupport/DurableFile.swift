import Glibc

/// The steps that make a written file survive a power cut: fsync the data, rename, fsync the folder.
public enum DurableFile {
    /// Flushes a file's data and metadata to stable storage.
    public static func sync(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open to sync", path: path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw SystemError("fsync", path: path) }
    }

    /// Flushes a folder, so a rename or unlink inside it is durable.
    public static func syncFolder(of path: String) throws(SystemError) {
        try sync(folder(of: path))
    }

    /// Atomically replaces (or creates) `destination` with `source`, then makes the rename durable.
    public static func rename(_ source: String, to destination: String) throws(SystemError) {
        if Glibc.rename(source, destination) != 0 {
            throw SystemError("rename \(source) ->", path: destination)
        }
        try syncFolder(of: destination)
    }

    /// The folder holding `path` ("." for a bare name).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
