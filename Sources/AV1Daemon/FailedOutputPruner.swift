import Foundation

/// Removes what failed encodes left in the temp folder (kept for debugging) once they are older
/// than `failed_output_retention_days`. Run hourly while the daemon runs; start-up recovery
/// does the same for outputs it finds there.
struct FailedOutputPruner {
    let store: JobStore
    let retention: TimeInterval

    init(store: JobStore, retentionDays: Int) {
        self.store = store
        retention = TimeInterval(retentionDays) * 86_400
    }

    /// The outputs removed.
    func prune(now: Date = Date()) -> [String] {
        store.all.filter { $0.status == .failed && now.timeIntervalSince($0.finishedAt ?? $0.createdAt) >= retention }
            .compactMap(\.tempOutputPath).filter { unlink($0) == 0 }
    }
}
