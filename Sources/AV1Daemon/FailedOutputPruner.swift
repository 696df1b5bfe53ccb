import Foundation

/// Removes what failed encodes left in the temp folder (kept for debugging) once they are older
/// than `failed_output_retention_days`, and chunk folders no job can resume from any more. Run
/// hourly while the daemon runs; start-up recovery does the same for what it finds there.
struct FailedOutputPruner {
    let store: JobStore
    let retention: TimeInterval
    let chunkFolders: ChunkFolders

    init(store: JobStore, retentionDays: Int, tempDirectory: String) {
        self.store = store
        retention = TimeInterval(retentionDays) * 86_400
        chunkFolders = ChunkFolders(tempDirectory: tempDirectory)
    }

    /// The outputs and chunk folders removed.
    func prune(now: Date = Date()) -> [String] {
        let jobs = store.all
        return jobs.filter { $0.status == .failed && now.timeIntervalSince($0.finishedAt ?? $0.createdAt) >= retention }
            .compactMap(\.tempOutputPath).filter { unlink($0) == 0 }
            + chunkFolders.removeOrphans(jobs: jobs)
    }
}
