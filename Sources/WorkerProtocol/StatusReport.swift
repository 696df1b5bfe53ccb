import Foundation
import Placement

/// What `av1d status` shows: the jobs running now and the totals, from the job store.
public struct StatusReport: Codable, Sendable {
    public struct Totals: Codable, Sendable, Equatable {
        public var success = 0
        public var failed = 0
        public var skipped = 0
        public var interrupted = 0
        public var bytesSaved: Int64 = 0
        public var originalBytes: Int64 = 0
        public var newBytes: Int64 = 0
        /// Mean of new/original over successful jobs.
        public var averageRatio: Double?
        public var encodeSeconds: Double = 0
        /// Titles the prediction gate skipped without a full encode; titles both predicted and
        /// encoded in full, and the mean of |predicted − real| / real size ratio over them.
        /// Optional for older daemons.
        public var skippedByPrediction: Int?
        /// Titles whose full encode the size watch stopped part-way (on course to miss the size gate).
        public var stoppedBySizeWatch: Int?
        public var predictionsChecked: Int?
        public var predictionMeanError: Double?
        /// CPU seconds all predictions took.
        public var predictionCpuSeconds: Double?

        public init() {}
    }

    public var running: [DaemonSnapshot.RunningJob]
    public var queued: Int
    public var totals: Totals
    /// Live from the daemon only: why no new job starts (a hot CPU), the CPU temperatures, and
    /// warnings about the machine.
    public var admissionPause: AdmissionPause?
    public var temperatures: [TemperatureReading]?
    public var warnings: [String]?

    public init(running: [DaemonSnapshot.RunningJob], queued: Int, totals: Totals) {
        self.running = running
        self.queued = queued
        self.totals = totals
    }
}

extension StatusReport {
    /// The report from the running daemon's live numbers, in the same shape as from the job store.
    public init(snapshot: DaemonSnapshot) {
        self.init(running: snapshot.running, queued: snapshot.queued, totals: snapshot.totals)
        admissionPause = snapshot.admissionPause
        temperatures = snapshot.temperatures
        warnings = snapshot.warnings
    }
}
