extension StatusReport {
    /// The report from the running daemon's live numbers, in the same shape as from the job store.
    public init(snapshot: DaemonSnapshot) {
        running = snapshot.running.map {
            Running(id: $0.id, sourcePath: $0.sourcePath, stage: $0.stage, progress: $0.progress, fps: $0.fps,
                    eta: $0.eta, cpus: $0.cpus, rssBytes: $0.rssBytes)
        }
        queued = snapshot.queued
        totals = snapshot.totals
    }
}
