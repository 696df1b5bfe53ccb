import Foundation
import LinuxSupport

/// The job records, one JSON file per job in `job_state_dir`, each written atomically.
/// Only the supervisor writes; `av1d status` and jq read.
public final class JobStore: @unchecked Sendable {
    public let directory: String
    private var records: [String: JobRecord] = [:]
    private var lastWrite: [String: Date] = [:]
    private let lock = NSLock()

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

    /// Stores `record` now.
    public func save(_ record: JobRecord) throws {
        let data = try JobRecord.encoder.encode(record)
        try AtomicFile.write(data, to: path(of: record.id))
        lock.withLock {
            records[record.id] = record
            lastWrite[record.id] = Date()
        }
    }

    /// Stores live progress, at most once a second per job (the caller updates at least every 2 s).
    public func saveProgress(_ record: JobRecord) throws {
        let due = lock.withLock { Date().timeIntervalSince(lastWrite[record.id] ?? .distantPast) >= 1 }
        if due { try save(record) } else { lock.withLock { records[record.id] = record } }
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
