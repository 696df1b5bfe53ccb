import Foundation
import NativeEncode
import LinuxSupport
import Placement

/// A live picture of the daemon, as the control socket, `av1d status`, `av1d top` and the
/// metrics endpoint show it. Produced by the supervisor on its queue.
public struct DaemonSnapshot: Codable, Sendable {
    public struct RunningJob: Codable, Sendable {
        public var id: String
        public var sourcePath: String
        public var stage: String
        /// 0-100.
        public var progress: Double
        public var fps: Double?
        public var eta: Double?
        public var cpus: String?
        public var cpuCount: Int
        public var rssBytes: Int?
        public var framesEncoded: Int?
        public var framesTotal: Int?
        public var encodedBytes: Int64?
        public var startedAt: Date?
        /// A chunked title's chunks and what each chunk worker is doing.
        public var chunks: ChunkProgress?

        public init(id: String, sourcePath: String, stage: String, progress: Double, fps: Double?, eta: Double?,
                    cpus: String?, cpuCount: Int, rssBytes: Int?, framesEncoded: Int?, framesTotal: Int?,
                    encodedBytes: Int64?, startedAt: Date?, chunks: ChunkProgress? = nil) {
            self.id = id
            self.sourcePath = sourcePath
            self.stage = stage
            self.progress = progress
            self.fps = fps
            self.eta = eta
            self.cpus = cpus
            self.cpuCount = cpuCount
            self.rssBytes = rssBytes
            self.framesEncoded = framesEncoded
            self.framesTotal = framesTotal
            self.encodedBytes = encodedBytes
            self.startedAt = startedAt
            self.chunks = chunks
        }
    }

    public struct QueuedFile: Codable, Sendable {
        public var path: String
        public var bytes: Int64
        public var expectedSavingBytes: Int64
        public init(path: String, bytes: Int64, expectedSavingBytes: Int64) {
            self.path = path
            self.bytes = bytes
            self.expectedSavingBytes = expectedSavingBytes
        }
    }

    public struct FinishedJob: Codable, Sendable {
        public var id: String
        public var sourcePath: String
        public var status: String
        public var reason: String?
        public var originalBytes: Int64
        public var newBytes: Int64?
        public var finishedAt: Date?
        public init(id: String, sourcePath: String, status: String, reason: String?, originalBytes: Int64,
                    newBytes: Int64?, finishedAt: Date?) {
            self.id = id
            self.sourcePath = sourcePath
            self.status = status
            self.reason = reason
            self.originalBytes = originalBytes
            self.newBytes = newBytes
            self.finishedAt = finishedAt
        }
    }

    public var running: [RunningJob]
    public var queued: Int
    public var queue: [QueuedFile]
    public var recent: [FinishedJob]
    public var totals: StatusReport.Totals
    public var paused: Bool
    /// Why no new job starts other than a user's pause (a temp or job folder that cannot take
    /// files, a hot CPU); nil while jobs may start.
    public var admissionPause: AdmissionPause?
    /// A library walk is under way (off the supervisor's queue). Optional for older daemons.
    public var scanning: Bool?
    /// CPU package sensors as last read; empty on machines without them. Optional for older daemons.
    public var temperatures: [TemperatureReading]?
    /// Start-up and reload warnings about the machine: governors, network temp folders.
    public var warnings: [String]?
    /// Frames encoded by every job since the daemon started (a counter for metrics).
    public var framesEncodedTotal: Int
    /// Bytes written by every finished encode since the daemon started.
    public var bytesEncodedTotal: Int64
    public var generatedAt: Date

    public init(running: [RunningJob], queued: Int, queue: [QueuedFile], recent: [FinishedJob], totals: StatusReport.Totals,
                paused: Bool, framesEncodedTotal: Int, bytesEncodedTotal: Int64, generatedAt: Date = Date()) {
        self.running = running
        self.queued = queued
        self.queue = queue
        self.recent = recent
        self.totals = totals
        self.paused = paused
        self.framesEncodedTotal = framesEncodedTotal
        self.bytesEncodedTotal = bytesEncodedTotal
        self.generatedAt = generatedAt
    }
}

/// Why admission is paused: `reason` is a fixed word (`storage`, `thermal`), `message` says it for people.
public struct AdmissionPause: Codable, Sendable, Equatable {
    public var reason: String
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// What a control client may ask. One JSON object per line: `{"command":"status"}`,
/// `{"command":"cancel","job":"<id>"}`, `{"command":"retry","path":"/media/x.mkv"}`.
public struct ControlRequest: Codable, Sendable, Equatable {
    public enum Command: String, Codable, Sendable, CaseIterable {
        case status, pause, resume, cancel, retry, rescan
    }

    public var command: Command
    public var job: String?
    public var path: String?

    public init(command: Command, job: String? = nil, path: String? = nil) {
        self.command = command
        self.job = job
        self.path = path
    }
}

/// The answer to one request: `ok` with a snapshot or message, or an error.
public struct ControlResponse: Codable, Sendable {
    public var ok: Bool
    public var error: String?
    public var message: String?
    public var snapshot: DaemonSnapshot?

    public init(ok: Bool, error: String? = nil, message: String? = nil, snapshot: DaemonSnapshot? = nil) {
        self.ok = ok
        self.error = error
        self.message = message
        self.snapshot = snapshot
    }

    public static func failure(_ error: String) -> ControlResponse { ControlResponse(ok: false, error: error) }
}
