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

    public init(jobs: [JobRecord], queued: Int = 0) {
        running = jobs.filter { $0.status.isActive }.sorted { ($0.startedAt ?? $0.createdAt) < ($1.startedAt ?? $1.createdAt) }
            .map(DaemonSnapshot.RunningJob.init(record:))
        self.queued = queued + jobs.filter { $0.status == .pending }.count
        var totals = Totals()
        var ratios: [Double] = []
        for job in jobs {
            switch job.status {
            case .success:
                totals.success += 1
                let new = job.newBytes ?? job.originalBytes
                totals.bytesSaved += job.originalBytes - new
                totals.originalBytes += job.originalBytes
                totals.newBytes += new
                if job.originalBytes > 0 { ratios.append(Double(new) / Double(job.originalBytes)) }
                if let start = job.startedAt, let end = job.finishedAt { totals.encodeSeconds += end.timeIntervalSince(start) }
            case .failed: totals.failed += 1
            case .skipped: totals.skipped += 1
            case .interrupted: totals.interrupted += 1
            default: break
            }
        }
        totals.averageRatio = ratios.isEmpty ? nil : ratios.reduce(0, +) / Double(ratios.count)
        self.totals = totals
    }

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
