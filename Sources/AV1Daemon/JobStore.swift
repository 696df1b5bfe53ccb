import Foundation
import LinuxSupport

/// The job records, one JSON file per job in `job_state_dir`, each written atomically.
/// Only the supervisor writes; `av1d status` and jq read.
public final class JobStore: @unchecked Sendable {
    public let directory: String
    private var records: [String: JobRecord] = [:]
    /// When each record was last stored, on the monotonic clock (a wall-clock step backwards
    /// must not stop progress writes until it is caught up).
    private var lastWrite: [String: UInt64] = [:]
    /// Records the disk refused (a full or missing `job_state_dir`), newest content in `records`.
    private var unwritten: Set<String> = []
    private let lock = NSLock()
    /// Disk writes, one at a time and in the order they were asked for.
    private let writer = DispatchQueue(label: "av1d.job-store")
    /// Told (on the writer queue) when a queued write failed; set once before the daemon runs.
    public var onWriteFailure: (@Sendable (JobRecord, SystemError) -> Void)?

    /// Loads every record. `readOnly` readers (status, scan) never create the folder.
    public init(directory: String, readOnly: Bool = false) throws {
        self.directory = directory
        if !readOnly { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".json") {
            let path = (directory as NSString).appendingPathComponent(name)
            // A damaged record must not stop the daemon; it is left for a human to look at.
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JobRecord.decoder.decode(JobRecord.self, from: data) else { continue }
            records[record.id] = record
        }
    }

    public var all: [JobRecord] { lock.withLock { Array(records.values) } }

    public func record(id: String) -> JobRecord? { lock.withLock { records[id] } }

    /// Every job for one source file, oldest first.
    public func history(of path: String) -> [JobRecord] {
        lock.withLock { records.values.filter { $0.sourcePath == path }.sorted { $0.createdAt < $1.createdAt } }
    }

    /// Stores `record` now, durably, after any write queued before it. The record is what the
    /// daemon knows even when the disk refuses it: a full `job_state_dir` must not make the
    /// daemon forget a finished job or a counted attempt (and encode the file again).
    public func save(_ record: JobRecord) throws(SystemError) {
        remember(record)
        if let failure = writer.sync(execute: { attempt(record) }) { throw failure }
    }

    /// Stores `record` in memory now and on disk soon, in order, on the store's own writer queue:
    /// the supervisor's queue never waits for an fsync. A failed write is passed to `onWriteFailure`.
    public func saveLater(_ record: JobRecord) {
        remember(record)
        writer.async { [self] in
            if let failure = attempt(record) { onWriteFailure?(record, failure) }
        }
    }

    /// Stores live progress, on disk at most once a second per job (the caller updates at least every 2 s).
    public func saveProgress(_ record: JobRecord) {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = lock.withLock { lastWrite[record.id].map { now - $0 >= 1_000_000_000 } ?? true }
        if due { saveLater(record) } else { lock.withLock { records[record.id] = record } }
    }

    /// Writes again every record whose last write failed (the job folder takes files again).
    public func writeUnwritten() {
        let pending = lock.withLock { unwritten.compactMap { records[$0] } }
        pending.forEach(saveLater)
    }

    /// Waits for every queued write (shutdown, tests).
    public func flush() { writer.sync {} }

    private func remember(_ record: JobRecord) {
        lock.withLock {
            records[record.id] = record
            lastWrite[record.id] = DispatchTime.now().uptimeNanoseconds
        }
    }

    /// Writes `record` to its file; what failed, if it did.
    private func attempt(_ record: JobRecord) -> SystemError? {
        let file = path(of: record.id)
        guard let data = try? JobRecord.encoder.encode(record) else { return SystemError("encode job record", path: file, code: EINVAL) }
        do throws(SystemError) {
            try AtomicFile.write(data, to: file)
            _ = lock.withLock { unwritten.remove(record.id) }
            return nil
        } catch {
            _ = lock.withLock { unwritten.insert(record.id) }
            return error
        }
    }

    func path(of id: String) -> String { (directory as NSString).appendingPathComponent("\(id).json") }
}

/// What a reader that must not create the job store (`av1d status`, `av1d scan`) finds there.
public enum StoredJobs: Sendable {
    /// No folder yet: the daemon has not run with this configuration.
    case nothingRunYet
    case records([JobRecord])

    public var records: [JobRecord] {
        if case .records(let records) = self { records } else { [] }
    }
}

extension JobStore {
    /// The records in `directory`, never creating it. A folder that is there but cannot be
    /// listed is an error naming it, not an empty store.
    public static func read(directory: String) throws -> StoredJobs {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            if errno == ENOENT { return .nothingRunYet }
            throw SystemError("read the job store", path: directory)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw SystemError("read the job store", path: directory, code: ENOTDIR) }
        guard access(directory, R_OK | X_OK) == 0 else { throw SystemError("read the job store", path: directory) }
        return .records(try JobStore(directory: directory, readOnly: true).all)
    }
}
