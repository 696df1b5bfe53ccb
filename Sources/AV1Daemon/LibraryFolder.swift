import CLinuxShims
import Foundation
import LinuxSupport

/// The folder holding a source, opened beneath its library root so that no symlink can lead a
/// replacement out of the library. Every change the replacement makes is relative to this one
/// descriptor: a folder renamed or swapped for a symlink meanwhile cannot redirect it.
struct LibraryFolder: ~Copyable {
    let fd: Int32
    /// The folder's path, for messages.
    let path: String

    /// Opens the folder of `file`. Without `follow_symlinks` the path must resolve beneath its root
    /// (openat2 RESOLVE_BENEATH; before Linux 5.6 the opened folder's /proc/self/fd path is checked).
    init(of file: String, roots: LibraryRoots) throws(ReplaceError) {
        let file = LibraryRoots.standardized(file)
        guard let root = roots.root(of: file) else { throw .outsideLibrary(file) }
        let path = DurableFile.folder(of: file)
        let rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw .system(SystemError("open library root", path: root)) }
        defer { close(rootFD) }
        let relative = path == root ? "." : String(path.dropFirst(root == "/" ? 1 : root.count + 1))
        var fd = av1d_open_beneath(rootFD, relative, O_RDONLY | O_DIRECTORY, roots.followSymlinks ? 1 : 0)
        if fd < 0 && errno == ENOSYS {
            fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 && !roots.followSymlinks && !roots.resolvesInside("/proc/self/fd/\(fd)") {
                close(fd)
                throw .outsideLibrary(file)
            }
        }
        if fd < 0 {
            if errno == EXDEV || errno == ELOOP { throw .outsideLibrary(file) }
            throw .system(SystemError("open folder", path: path))
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    func pathOf(_ name: String) -> String { path + "/" + name }

    /// The entry `name` itself (a symlink is not followed), or nil when there is none.
    func status(_ name: String) -> stat? {
        var info = stat()
        return fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    func exists(_ name: String) -> Bool { status(name) != nil }

    /// Opens the regular file `name` for reading, never through a symlink.
    func openForReading(_ name: String) throws(SystemError) -> OpenFile {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard file >= 0 else { throw SystemError("open", path: pathOf(name)) }
        return OpenFile(fd: file, path: pathOf(name))
    }

    /// Creates `name`, which must not exist yet, for writing.
    func create(_ name: String) throws(SystemError) -> OpenFile {
        let file = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw SystemError("create", path: pathOf(name)) }
        return OpenFile(fd: file, path: pathOf(name))
    }

    func identity(of name: String) throws(SystemError) -> FileIdentity {
        let file = try openForReading(name)
        return try FileIdentity(fd: file.fd, path: file.path)
    }

    /// Gives `source` (anywhere) the name `name` in this folder without copying; false when they
    /// are on different file systems.
    func link(from source: String, as name: String) throws(SystemError) -> Bool {
        if linkat(AT_FDCWD, source, fd, name, 0) == 0 { return true }
        if errno == EXDEV || errno == EPERM || errno == EOPNOTSUPP { return false }
        throw SystemError("link \(source) ->", path: pathOf(name))
    }

    /// Renames `from` to `to`, failing with EEXIST rather than replacing anything. Where the file
    /// system has no RENAME_NOREPLACE, a hard link and an unlink do the same without overwriting.
    func renameNoReplace(_ from: String, to: String) throws(SystemError) {
        if av1d_rename_noreplace(fd, from, fd, to) == 0 { return }
        guard errno == EINVAL || errno == ENOSYS else { throw SystemError("rename \(pathOf(from)) ->", path: pathOf(to)) }
        guard linkat(fd, from, fd, to, 0) == 0 else { throw SystemError("link \(pathOf(from)) ->", path: pathOf(to)) }
        try unlink(from)
    }

    /// Swaps the two names atomically; false where the file system cannot (EINVAL).
    func exchange(_ one: String, _ other: String) throws(SystemError) -> Bool {
        if av1d_rename_exchange(fd, one, fd, other) == 0 { return true }
        if errno == EINVAL || errno == ENOSYS { return false }
        throw SystemError("exchange \(pathOf(one)) <->", path: pathOf(other))
    }

    /// Renames over `to`: only for the fallback where the caller has just verified what `to` is.
    func renameReplacing(_ from: String, to: String) throws(SystemError) {
        guard renameat(fd, from, fd, to) == 0 else { throw SystemError("rename \(pathOf(from)) ->", path: pathOf(to)) }
    }

    func unlink(_ name: String) throws(SystemError) {
        guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else { throw SystemError("unlink", path: pathOf(name)) }
    }

    /// Makes renames and unlinks in this folder durable.
    func sync() throws(SystemError) {
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: path) }
    }
}

/// An open file descriptor, closed when its owner goes.
struct OpenFile: ~Copyable {
    let fd: Int32
    let path: String
    deinit { close(fd) }

    func status() throws(SystemError) -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError("fstat", path: path) }
        return info
    }

    func sync() throws(SystemError) {
        guard fsync(fd) == 0 else { throw SystemError("fsync", path: path) }
    }

    /// Makes this file look like `original` to everyone else: owner, group, mode, extended attributes.
    func takeLooks(of original: borrowing OpenFile) throws(SystemError) {
        let looks = try original.status()
        guard fchown(fd, looks.st_uid, looks.st_gid) == 0 else { throw SystemError("fchown", path: path) }
        guard fchmod(fd, looks.st_mode & 0o7777) == 0 else { throw SystemError("fchmod", path: path) }
        guard av1d_copy_xattrs(original.fd, fd) == 0 else { throw SystemError("copy extended attributes to", path: path) }
    }
}
