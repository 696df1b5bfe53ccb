import Foundation
import LinuxSupport

/// Why a replacement did not happen. The original is intact in every case.
public enum ReplaceError: Error, CustomStringConvertible, Sendable {
    /// The source is no longer the file the job encoded (renamed over, rewritten, truncated).
    case sourceChanged(String)
    /// Another file already has the output's name; it is never overwritten.
    case targetExists(String)
    /// The source's folder does not resolve beneath a library root.
    case outsideLibrary(String)
    case stagedVanished(String)
    /// The staged copy is not the verified output, byte for byte.
    case stagedDiffers(String)
    case system(SystemError)

    /// The errno-carrying failure inside, for callers that judge by errno (a full disk), else itself.
    public var underlying: any Error {
        if case .system(let error) = self { return error }
        return self
    }

    public var description: String {
        switch self {
        case .sourceChanged(let what): "source changed during the encode (\(what))"
        case .targetExists(let path): "\((path as NSString).lastPathComponent) already exists beside the original; it is never overwritten"
        case .outsideLibrary(let path): "\(path) is not beneath a library root (symlinks are not followed out of the roots unless follow_symlinks = true)"
        case .stagedVanished(let path): "staged file \(path) vanished before it was renamed"
        case .stagedDiffers(let what): "the copy next to the original differs from the verified output (\(what))"
        case .system(let error): error.description
        }
    }
}

/// Puts a verified encode in place of the original so that at no instant can a crash leave the
/// library without one complete, playable copy of the title, and so that nothing but the file the
/// job encoded is ever replaced. Every step is recorded in the job before the next begins; `resume`
/// rolls a half-done replacement forward from that record. All changes go through the source's
/// folder opened beneath its library root (`LibraryFolder`).
///
/// 1. check the source is still the file the job started on (`FileIdentity`); put the output next
///    to it under a hidden name unique to the job (a hard link when temp and library share a file
///    system, else a copy compared with the output), with the original's owner, group, mode and
///    extended attributes; fsync it and the folder; record `staged`;
/// 2. check the source again and give the output its final name without overwriting anything
///    (RENAME_NOREPLACE; `movie.mkv` → `movie.mkv` atomically exchanges the two); fsync; record `renamed`;
/// 3. check the original once more, move it under a hidden name, check by its inode that the
///    moved file is that original, then remove it (or keep it as `.av1d-original`); fsync.
public struct Replacer: Sendable {
    public static let originalSuffix = ".av1d-original"
    public static let stagedSuffix = ".av1d-staged"

    let keepOriginal: Bool
    let roots: LibraryRoots
    let store: JobStore
    /// Test hook: stop the whole daemon dead (SIGKILL) right after recording this step.
    let crashAfter: ReplaceStep?

    public init(keepOriginal: Bool, roots: LibraryRoots, store: JobStore, crashAfter: ReplaceStep? = nil) {
        self.keepOriginal = keepOriginal
        self.roots = roots
        self.store = store
        self.crashAfter = crashAfter
    }

    /// Where the new file goes: the source's name with the `.mkv` extension.
    public static func finalPath(for source: String) -> String {
        URL(fileURLWithPath: source).deletingPathExtension().appendingPathExtension("mkv").path
    }

    /// The source's identity, read through its folder opened beneath its library root.
    public static func identity(of source: String, roots: LibraryRoots) throws(ReplaceError) -> FileIdentity {
        let folder = try LibraryFolder(of: source, roots: roots)
        do { return try folder.identity(of: Names.last(source)) } catch { throw .system(error) }
    }

    /// Replaces `job.sourcePath` with `verifiedOutput`; `job` ends as `.success`.
    public func replace(_ job: inout JobRecord, verifiedOutput: String) throws(ReplaceError) {
        let names = Names(job)
        let folder = try LibraryFolder(of: job.sourcePath, roots: roots)
        let source = try verifiedSource(job, in: folder)
        if names.final != names.source && folder.exists(names.final) { throw .targetExists(folder.pathOf(names.final)) }
        job.status = .replacing
        job.stage = "replacing"
        job.outputPath = folder.pathOf(names.final)
        try save(job)

        try system { try folder.unlink(names.staged) }
        do {
            job.stagedInode = try stage(verifiedOutput, as: names.staged, in: folder, looksOf: source)
        } catch {
            try? folder.unlink(names.staged)
            throw error
        }
        job.replaceStep = .staged
        job.stagedPath = folder.pathOf(names.staged)
        try record(job, step: .staged)
        try finish(&job)
    }

    /// Continues a replacement a crash interrupted. Returns false when it had not reached a
    /// recorded step (nothing changed in the library yet): the caller re-queues the job.
    /// Throws `.sourceChanged` after undoing its own part when the source is not the job's any more.
    public func resume(_ job: inout JobRecord) throws(ReplaceError) -> Bool {
        switch job.replaceStep {
        case nil:
            if let folder = try? LibraryFolder(of: job.sourcePath, roots: roots) { try? folder.unlink(Names(job).staged) }
            return false
        case .staged, .renamed:
            try finish(&job)
            return true
        }
    }

    /// Steps 2 and 3, each skipped when the record shows it done.
    private func finish(_ job: inout JobRecord) throws(ReplaceError) {
        let names = Names(job)
        let folder = try LibraryFolder(of: job.sourcePath, roots: roots)
        if job.replaceStep == .staged {
            if names.final == names.source {
                try exchangeInPlace(job, names: names, folder: folder)
            } else if folder.exists(names.staged) {
                do {
                    _ = try verifiedSource(job, in: folder)
                } catch {
                    try? folder.unlink(names.staged)
                    throw error
                }
                do {
                    try folder.renameNoReplace(names.staged, to: names.final)
                } catch where error.code == EEXIST {
                    try? folder.unlink(names.staged)
                    throw .targetExists(folder.pathOf(names.final))
                } catch { throw .system(error) }
            } else if !isOurs(folder.status(names.final), job) {
                throw .stagedVanished(folder.pathOf(names.staged))
            }
            // (No staged file but our file under the final name: the rename happened, its record did not.)
            try system { try folder.sync() }
            try record(job, step: .renamed)
            job.replaceStep = .renamed
        }
        try removeOriginal(job, names: names, folder: folder)
        // The verified output has done its work; it goes before Success is recorded, so no
        // moment after Success (a stop, a crash) can leave it behind in the temp folder.
        if let temp = job.tempOutputPath { unlink(temp) }
        job.status = .success
        job.stage = "done"
        job.replaceStep = nil
        job.stagedPath = nil
        job.outputPath = folder.pathOf(names.final)
        job.newBytes = folder.status(names.final).map { Int64($0.st_size) } ?? job.newBytes
        try save(job)
    }

    /// `movie.mkv` encoded to `movie.mkv`: the two names are swapped atomically, so the original
    /// is never overwritten; it waits under the staged name for step 3.
    private func exchangeInPlace(_ job: JobRecord, names: Names, folder: borrowing LibraryFolder) throws(ReplaceError) {
        // Already swapped before a crash: the original is under the staged name.
        if let staged = folder.status(names.staged), isOriginal(staged, job) { return }
        guard folder.exists(names.staged) else {
            if isOurs(folder.status(names.final), job) { return }
            throw .stagedVanished(folder.pathOf(names.staged))
        }
        do {
            _ = try verifiedSource(job, in: folder)
        } catch {
            try? folder.unlink(names.staged)
            throw error
        }
        try system {
            if try folder.exchange(names.staged, names.final) {
                // What went out must be the original just verified, not a file renamed in meanwhile.
                if let out = folder.status(names.staged), isOriginal(out, job) { return }
                _ = try folder.exchange(names.staged, names.final)
                try? folder.unlink(names.staged)
                throw ReplaceError.sourceChanged("renamed over while being replaced")
            }
            // No RENAME_EXCHANGE on this file system: keep the original aside first if asked,
            // then rename over the original whose identity was verified a moment ago.
            if keepOriginal { try keepAside(linking: names.source, folder: folder) }
            try folder.renameReplacing(names.staged, to: names.final)
        }
    }

    /// Step 3: the original goes (or is kept) once it is shown to be the file the job encoded.
    /// A source changed after the rename means the new `.mkv` encodes stale content: it goes instead.
    /// The original is first moved under a hidden name of the job's; what is then removed (or
    /// kept) is shown by its inode to be the file just verified, even had its name been renamed
    /// over between the check and the move.
    private func removeOriginal(_ job: JobRecord, names: Names, folder: borrowing LibraryFolder) throws(ReplaceError) {
        let inPlace = names.final == names.source
        if !inPlace && !folder.exists(names.leaving) && folder.exists(names.source) {
            do {
                _ = try verifiedSource(job, in: folder)
                try system { try folder.renameNoReplace(names.source, to: names.leaving) }
            } catch {
                if case .sourceChanged = error { dropStaleOutput(job, names: names, folder: folder) }
                throw error
            }
        }
        let original = inPlace ? names.staged : names.leaving
        guard let found = folder.status(original) else { return }
        guard isOriginal(found, job) else {
            if inPlace { return }  // not the original: not ours to remove
            try? folder.renameNoReplace(names.leaving, to: names.source)
            dropStaleOutput(job, names: names, folder: folder)
            throw .sourceChanged("renamed over while the original was being removed")
        }
        try system {
            if keepOriginal {
                try keepAside(renaming: original, as: names.source, folder: folder)
            } else {
                try folder.unlink(original)
            }
            try folder.sync()
        }
    }

    /// The source changed after the rename: the new `.mkv` encodes stale content, so it goes.
    private func dropStaleOutput(_ job: JobRecord, names: Names, folder: borrowing LibraryFolder) {
        guard isOurs(folder.status(names.final), job) else { return }
        try? folder.unlink(names.final)
        try? folder.sync()
    }

    /// `<name>.av1d-original`, or `.av1d-original.1`, `.2`...: an earlier kept original is never overwritten.
    private func keepAside(renaming entry: String, as name: String, folder: borrowing LibraryFolder) throws(SystemError) {
        for index in 0..<1000 {
            let backup = name + Self.originalSuffix + (index == 0 ? "" : ".\(index)")
            do {
                try folder.renameNoReplace(entry, to: backup)
                return
            } catch where error.code == EEXIST {
                continue
            }
        }
        throw SystemError("keep the original", path: folder.pathOf(name), code: EEXIST)
    }

    private func keepAside(linking name: String, folder: borrowing LibraryFolder) throws(SystemError) {
        let temporary = ".\(name).keep\(Self.stagedSuffix)"
        try folder.unlink(temporary)
        guard linkat(folder.fd, name, folder.fd, temporary, 0) == 0 else { throw SystemError("link", path: folder.pathOf(name)) }
        try keepAside(renaming: temporary, as: name, folder: folder)
    }

    /// Opens the source and shows it is still the file the job started on.
    private func verifiedSource(_ job: JobRecord, in folder: borrowing LibraryFolder) throws(ReplaceError) -> OpenFile {
        let name = Names.last(job.sourcePath)
        let file: OpenFile
        do { file = try folder.openForReading(name) } catch {
            if error.code == ENOENT { throw .sourceChanged("it is gone") }
            throw .system(error)
        }
        let now: FileIdentity
        do { now = try FileIdentity(fd: file.fd, path: file.path) } catch { throw .system(error) }
        if let recorded = job.sourceIdentity {
            let differences = now.differences(from: recorded)
            if !differences.isEmpty { throw .sourceChanged(differences.joined(separator: ", ")) }
        } else if now.size != job.originalBytes || abs(Double(now.mtimeNs) / 1e9 - job.sourceMtime) > 0.001 {
            // A job recorded before identities were: its size and mtime are what there is.
            throw .sourceChanged("size or modification time differs")
        }
        return file
    }

    /// Whether `entry` is the source the job recorded (same device and inode; for a job recorded
    /// before identities were, the same size and mtime).
    private func isOriginal(_ entry: stat, _ job: JobRecord) -> Bool {
        if let identity = job.sourceIdentity { return identity.isSameFile(entry) }
        let mtime = Double(entry.st_mtim.tv_sec) + Double(entry.st_mtim.tv_nsec) / 1e9
        return Int64(entry.st_size) == job.originalBytes && abs(mtime - job.sourceMtime) < 0.001
    }

    /// Whether `entry` is the file this job staged (for a job recorded before staged inodes were:
    /// whatever carries the final name, as the record says the rename was under way).
    private func isOurs(_ entry: stat?, _ job: JobRecord) -> Bool {
        guard let entry else { return false }
        guard let inode = job.stagedInode else { return true }
        return UInt64(entry.st_ino) == inode
    }

    /// Puts the verified output under `name` in the folder with the original's looks, durably.
    /// Returns the staged file's inode. Same file system: a hard link, no copy.
    private func stage(_ output: String, as name: String, in folder: borrowing LibraryFolder,
                       looksOf original: borrowing OpenFile) throws(ReplaceError) -> UInt64 {
        try system {
            let staged: OpenFile
            if try folder.link(from: output, as: name) {
                staged = try folder.openForReading(name)
                var made = stat()
                guard stat(output, &made) == 0 else { throw SystemError("stat", path: output) }
                let linked = try staged.status()
                guard linked.st_ino == made.st_ino, linked.st_dev == made.st_dev else {
                    throw ReplaceError.stagedDiffers("\(folder.pathOf(name)) is not the verified output")
                }
            } else {
                try copy(output, to: name, in: folder)
                staged = try folder.openForReading(name)
            }
            try staged.takeLooks(of: original)
            try staged.sync()
            try folder.sync()
            return UInt64(try staged.status().st_ino)
        }
    }

    /// Copies across file systems, then reads the copy back and compares size and SHA-256.
    private func copy(_ output: String, to name: String, in folder: borrowing LibraryFolder) throws {
        let source = open(output, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw SystemError("open", path: output) }
        defer { close(source) }
        let written: (bytes: Int64, digest: String)
        do {
            let destination = try folder.create(name)
            written = try Self.stream(from: source, path: output, to: destination.fd, destinationPath: destination.path)
            try destination.sync()
        }
        let check = try folder.openForReading(name)
        let readBack = try Self.stream(from: check.fd, path: check.path, to: nil, destinationPath: nil)
        guard readBack == written else {
            throw ReplaceError.stagedDiffers("\(readBack.bytes) bytes, SHA-256 \(readBack.digest); the output has \(written.bytes), \(written.digest)")
        }
    }

    /// Reads `fd` to its end, hashing, and writes what it reads to `destination` when given.
    private static func stream(from fd: Int32, path: String, to destination: Int32?, destinationPath: String?) throws(SystemError) -> (bytes: Int64, digest: String) {
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 { if errno == EINTR { continue }; throw SystemError("read", path: path) }
            if got == 0 { break }
            let writeFailed = buffer.withUnsafeBytes { bytes -> Bool in
                hash.update(UnsafeRawBufferPointer(rebasing: bytes[..<got]))
                guard let destination else { return false }
                var offset = 0
                while offset < got {
                    let put = write(destination, bytes.baseAddress! + offset, got - offset)
                    if put < 0 { if errno == EINTR { continue }; return true }
                    offset += put
                }
                return false
            }
            if writeFailed { throw SystemError("write", path: destinationPath) }
            total += Int64(got)
        }
        return (total, hash.finalizeHex())
    }

    private func save(_ job: JobRecord) throws(ReplaceError) {
        do { try store.save(job) } catch { throw .system(error) }
    }

    private func record(_ job: JobRecord, step: ReplaceStep) throws(ReplaceError) {
        var recorded = job
        recorded.replaceStep = step
        try save(recorded)
        if crashAfter == step { kill(getpid(), SIGKILL) }
    }

    /// Runs file operations, keeping `ReplaceError`s and wrapping errno failures.
    private func system<T>(_ body: () throws -> T) throws(ReplaceError) -> T {
        do { return try body() } catch let error as ReplaceError { throw error } catch let error as SystemError {
            throw .system(error)
        } catch {
            throw .system(SystemError("\(error)", code: EIO))
        }
    }
}

/// The names a replacement uses inside the source's folder.
struct Names {
    let source: String
    let final: String
    /// Hidden and unique to the job: two jobs never share a staged file.
    let staged: String
    /// Where the original waits, hidden, between its last check and its removal.
    let leaving: String

    init(_ job: JobRecord) {
        source = Self.last(job.sourcePath)
        final = Self.last(Replacer.finalPath(for: job.sourcePath))
        staged = job.stagedPath.map(Self.last) ?? ".\(final).\(job.id)\(Replacer.stagedSuffix)"
        leaving = ".\(source).\(job.id).av1d-leaving"
    }

    static func last(_ path: String) -> String { (path as NSString).lastPathComponent }
}
