import Foundation
import NativeEncode
import LinuxSupport

/// Puts a verified encode in place of the original so that at no instant can a crash leave the
/// library without one complete, playable copy of the title. Every step is recorded in the job
/// before the next begins; `resume` rolls a half-done replacement forward from that record.
///
/// 1. copy the output next to the original under a hidden staged name, fsync it and the folder,
///    record `staged`;
/// 2. rename it to the final name (`movie.mp4` → `movie.mkv`), fsync the folder, record `renamed`;
/// 3. remove the original (or keep it under a name the scanner ignores), fsync the folder.
public struct Replacer: Sendable {
    public static let originalSuffix = ".av1d-original"
    public static let stagedSuffix = ".av1d-staged"

    let keepOriginal: Bool
    let store: JobStore
    /// Test hook: stop the whole daemon dead (SIGKILL) right after recording this step.
    let crashAfter: ReplaceStep?

    public init(keepOriginal: Bool, store: JobStore, crashAfter: ReplaceStep? = nil) {
        self.keepOriginal = keepOriginal
        self.store = store
        self.crashAfter = crashAfter
    }

    /// Where the new file goes: the source's name with the `.mkv` extension.
    public static func finalPath(for source: String) -> String {
        URL(fileURLWithPath: source).deletingPathExtension().appendingPathExtension("mkv").path
    }

    static func stagedPath(for final: String) -> String {
        let url = URL(fileURLWithPath: final)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent)\(stagedSuffix)").path
    }

    /// Replaces `job.sourcePath` with `verifiedOutput`; `job` ends as `.success`.
    public func replace(_ job: inout JobRecord, verifiedOutput: String) throws {
        let final = Self.finalPath(for: job.sourcePath)
        if final != job.sourcePath && FileManager.default.fileExists(atPath: final) {
            throw EncodeError.output("\((final as NSString).lastPathComponent) already exists beside the original; it is never overwritten")
        }
        let staged = Self.stagedPath(for: final)
        job.status = .replacing
        job.stage = "replacing"
        job.outputPath = final
        try store.save(job)

        unlink(staged)
        try copyDurably(verifiedOutput, to: staged)
        job.replaceStep = .staged
        job.stagedPath = staged
        try record(job, step: .staged)
        try finish(&job)
    }

    /// Continues a replacement a crash interrupted. Returns false when it had not reached a
    /// recorded step (nothing changed in the library yet): the caller re-queues the job.
    public func resume(_ job: inout JobRecord) throws -> Bool {
        switch job.replaceStep {
        case nil:
            if let staged = job.stagedPath ?? job.outputPath.map(Self.stagedPath(for:)) { unlink(staged) }
            return false
        case .staged, .renamed:
            try finish(&job)
            return true
        }
    }

    /// Steps 2 and 3, each skipped when the record shows it done.
    private func finish(_ job: inout JobRecord) throws {
        let final = Self.finalPath(for: job.sourcePath)
        if job.replaceStep == .staged {
            guard let staged = job.stagedPath else { throw EncodeError.output("replacement record has no staged file") }
            if FileManager.default.fileExists(atPath: staged) {
                if keepOriginal && final == job.sourcePath { try keepCopyOfOriginal(job.sourcePath) }
                try DurableFile.rename(staged, to: final)
            } else if !FileManager.default.fileExists(atPath: final) {
                throw EncodeError.output("staged file \(staged) vanished before it was renamed")
            }
            // (Missing staged file but present final file: the rename happened, its record did not.)
            try record(job, step: .renamed)
            job.replaceStep = .renamed
        }
        if final != job.sourcePath && FileManager.default.fileExists(atPath: job.sourcePath) {
            if keepOriginal {
                try DurableFile.rename(job.sourcePath, to: job.sourcePath + Self.originalSuffix)
            } else {
                guard unlink(job.sourcePath) == 0 else {
                    throw EncodeError.output("cannot remove the original: \(String(cString: strerror(errno)))")
                }
                try DurableFile.syncFolder(of: job.sourcePath)
            }
        }
        job.status = .success
        job.stage = "done"
        job.replaceStep = nil
        job.stagedPath = nil
        job.outputPath = final
        job.newBytes = (try? FileManager.default.attributesOfItem(atPath: final)[.size] as? NSNumber)?.int64Value ?? job.newBytes
        try store.save(job)
    }

    private func record(_ job: JobRecord, step: ReplaceStep) throws {
        var recorded = job
        recorded.replaceStep = step
        try store.save(recorded)
        if crashAfter == step { kill(getpid(), SIGKILL) }
    }

    /// Keeps the original under a name the scanner ignores, before the new file takes its name.
    private func keepCopyOfOriginal(_ source: String) throws {
        let backup = source + Self.originalSuffix
        unlink(backup)
        if link(source, backup) != 0 { try copyDurably(source, to: backup) }
        try DurableFile.syncFolder(of: backup)
    }

    /// Copies a file and makes the copy durable (it may cross file systems: temp dir → library).
    private func copyDurably(_ source: String, to destination: String) throws {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
            try DurableFile.sync(destination)
            try DurableFile.syncFolder(of: destination)
        } catch {
            unlink(destination)
            throw EncodeError.output("copying the new file next to the original failed: \(error)")
        }
    }
}
