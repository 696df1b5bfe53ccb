import Foundation
import LinuxSupport

/// The chunk folders in the temp folder: one per title whose chunked job has not ended, named by
/// the title's source path (a re-queued job has a new id); the manifest inside checks the source's
/// identity and the settings.
struct ChunkFolders {
    static let prefix = "chunks-"
    let tempDirectory: String

    func path(for sourcePath: String) -> String {
        var digest = SHA256()
        digest.update(Array(sourcePath.utf8))
        return (tempDirectory as NSString).appendingPathComponent(Self.prefix + digest.finalizeHex().prefix(16))
    }

    /// Removes the chunk folders no job can resume from any more: those of titles no unfinished
    /// job (pending, running, interrupted…) names, or whose source is gone (deleted while the
    /// daemon was down). Returns the folders removed.
    func removeOrphans(jobs: [JobRecord]) -> [String] {
        let wanted = Set(jobs.filter { !$0.status.isFinal && FileManager.default.fileExists(atPath: $0.sourcePath) }
            .map { path(for: $0.sourcePath) })
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tempDirectory)) ?? []
        return names.filter { $0.hasPrefix(Self.prefix) }
            .map { (tempDirectory as NSString).appendingPathComponent($0) }
            .filter { !wanted.contains($0) && (try? FileManager.default.removeItem(atPath: $0)) != nil }
    }
}
