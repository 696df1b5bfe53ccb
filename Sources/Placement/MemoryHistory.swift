import Foundation
import LinuxSupport

/// Peak memory measured on finished jobs, per job class, kept in `memory-history.json` in the
/// state folder so estimates improve across restarts.
public struct MemoryHistory: Sendable {
    /// Headroom over the highest peak seen: the next file of a class may be a little hungrier.
    private static let learnedMargin = 1.2

    private let path: String
    private var classes: [String: Record]

    /// Loads the history; a missing or unreadable file starts it afresh, since losing what was
    /// learned only makes estimates fall back to the guide.
    public init(stateDirectory: String) {
        path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("memory-history.json").path
        let data = FileManager.default.contents(atPath: path)
        classes = data.flatMap { try? JSONDecoder().decode([String: Record].self, from: $0) } ?? [:]
    }

    /// The highest peak seen for the class plus the margin; the guide's figure until one is seen.
    public func estimate(for jobClass: JobClass) -> MemoryEstimate {
        guard let record = classes[jobClass.description] else { return .guide(for: jobClass) }
        return MemoryEstimate(bytes: Int(Double(record.peakBytes) * Self.learnedMargin),
                              basis: .learned(jobs: record.jobs))
    }

    /// Records a finished job's peak RSS and saves the history atomically (temp file, fsync,
    /// rename), so a crash leaves either the old file or the new one.
    public mutating func record(peakRSS bytes: Int, for jobClass: JobClass) throws {
        // Zero means the measurement failed (unreadable /proc), not a job that used nothing.
        guard bytes > 0 else { return }
        var record = classes[jobClass.description] ?? Record(peakBytes: 0, jobs: 0)
        record.peakBytes = max(record.peakBytes, bytes)
        record.jobs += 1
        classes[jobClass.description] = record
        try save()
    }

    private func save() throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(classes), to: path)
    }

    private struct Record: Codable, Sendable {
        var peakBytes: Int
        var jobs: Int

        enum CodingKeys: String, CodingKey {
            case peakBytes = "peak_bytes"
            case jobs
        }
    }
}
