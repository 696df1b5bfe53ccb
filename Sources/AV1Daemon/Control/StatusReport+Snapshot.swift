extension StatusReport {
    /// The report from the running daemon's live numbers, in the same shape as from the job store.
    public init(snapshot: DaemonSnapshot) {
        running = snapshot.running
        queued = snapshot.queued
        totals = snapshot.totals
        admissionPause = snapshot.admissionPause
        temperatures = snapshot.temperatures
        warnings = snapshot.warnings
    }
}
