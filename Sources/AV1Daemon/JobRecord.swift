import Foundation
import LinuxSupport
import NativeEncode

/// A job's state. The raw values are what the users' jq recipes match (`"Success"`).
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case pending = "Pending"
    case running = "Running"
    case verifying = "Verifying"
    case replacing = "Replacing"
    case success = "Success"
    case failed = "Failed"
    case skipped = "Skipped"
    /// Stopped by a shutdown or a crash; queued again at the next start.
    case interrupted = "Interrupted"

    public var isActive: Bool { [.running, .verifying, .replacing].contains(self) }
    public var isFinal: Bool { [.success, .failed, .skipped].contains(self) }
}

/// How far a replacement got; recovery rolls forward from the last recorded step.
public enum ReplaceStep: String, Codable, Sendable {
    /// The verified output sits, complete and synced, next to the original under `staged_path`.
    case staged
    /// The new file is in place under its final name; the original may still be there.
    case renamed
}

/// One job, as stored in `<job_state_dir>/<id>.json`. Field names are the old daemon's, so
/// existing jq recipes keep working; av1d adds its own beside them.
public struct JobRecord: Codable, Sendable, Equatable {
    public var id: String
    public var status: JobStatus
    public var sourcePath: String
    public var outputPath: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var reason: String?
    public var stage: String?

    public var originalBytes: Int64
    public var newBytes: Int64?
    public var sourceMtime: Double

    public var videoCodec: String?
    public var videoWidth: Int?
    public var videoHeight: Int?
    public var videoBitrate: Int?
    public var videoFrameRate: Double?
    public var sourceBitDepth: Int?
    public var sourcePixFmt: String?
    public var isHdr: Bool?
    public var isWebLike: Bool?

    // The samples' prediction, when one ran (see `SizePrediction`).
    public var predictedRatio: Double?
    public var predictedSsim: Double?
    public var predictedPsnr: Double?
    public var predictionSamples: Int?
    public var sampleSeconds: Double?
    public var predictionCpuSeconds: Double?
    /// Set when the prediction's gate skipped the full encode.
    public var skippedByPrediction: Bool?
    /// After a full encode: (predicted − real) / real size ratio; positive when it overshot.
    public var predictionError: Double?
    /// Set when the size watch stopped the full encode (`SizeWatch`): the share of the title's
    /// pictures encoded by then, and the size ratio the encode was on course for.
    public var stoppedAtFraction: Double?
    public var projectedRatio: Double?
    /// With a quality target: the CRFs the search tried on the samples, their scores and cost.
    public var crfSearch: CRFSearchReport?

    public var crfUsed: Int?
    public var presetUsed: Int?
    public var encoderUsed: String?
    /// What happened to each source stream (copied, converted to FLAC/Opus/SRT, dropped) and why.
    public var streams: [StreamDecision]?
    /// The encode's notes: conversions, dropped streams, repaired timestamps, lost captions.
    public var notes: [String]?

    // Live figures while running.
    public var progress: Double?
    public var eta: Double?
    public var fps: Double?
    public var framesEncoded: Int?
    public var framesTotal: Int?
    public var encodedBytes: Int64?
    public var speedBps: Double?
    public var cpus: String?
    public var rssBytes: Int?
    public var peakRssBytes: Int?
    public var workerPid: Int32?
    /// A chunked title's chunks and chunk workers, while it runs.
    public var chunks: ChunkProgress?

    public var attempt: Int
    public var replaceStep: ReplaceStep?
    public var stagedPath: String?
    /// The staged file's inode: recovery tells the job's own output from any other file by it.
    public var stagedInode: UInt64?
    /// The source as it was when the job started; checked before anything in the library changes.
    public var sourceIdentity: FileIdentity?
    public var tempOutputPath: String?

    public init(sourcePath: String, originalBytes: Int64, sourceMtime: Double, attempt: Int, now: Date = Date()) {
        id = UUID().uuidString.lowercased()
        status = .pending
        self.sourcePath = sourcePath
        self.originalBytes = originalBytes
        self.sourceMtime = sourceMtime
        self.attempt = attempt
        createdAt = now
    }

    /// Clears the live figures when a job stops running.
    public mutating func clearLiveFigures() {
        eta = nil
        fps = nil
        speedBps = nil
        rssBytes = nil
        workerPid = nil
        chunks = nil
    }
}

extension JobRecord {
    /// Takes in the prediction a worker reported before its encode.
    public mutating func note(_ prediction: SizePrediction, skipped: Bool) {
        predictedRatio = prediction.ratio
        predictedSsim = prediction.ssimY
        predictedPsnr = prediction.psnrY
        predictionSamples = prediction.samples
        sampleSeconds = prediction.sampleSeconds
        predictionCpuSeconds = prediction.cpuSeconds
        skippedByPrediction = skipped
    }

    static var encoder: JSONEncoder { .av1dPretty }
    static var decoder: JSONDecoder { .av1d }
}
