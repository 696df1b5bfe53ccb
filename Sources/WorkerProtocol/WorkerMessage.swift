import Foundation
import LinuxSupport
import NativeEncode

/// What the supervisor needs to know of a file before deciding to encode it.
public struct ProbeFacts: Codable, Sendable, Equatable {
    public var formatName: String
    public var hasVideo: Bool
    public var videoCodec: String
    public var width: Int
    public var height: Int
    public var pixelFormat: String
    public var bitDepth: Int
    public var frameRate: Double
    public var durationSeconds: Double
    public var estimatedFrames: Int
    public var bitRate: Int
    public var isHDR: Bool
    public var dynamicHDR: DynamicHDR?

    // av1d's JSON is snake_case; an acronym does not survive the round trip by itself.
    private enum CodingKeys: String, CodingKey {
        case formatName, hasVideo, videoCodec, width, height, pixelFormat, bitDepth, frameRate, durationSeconds
        case estimatedFrames, bitRate
        case isHDR = "isHdr", dynamicHDR = "dynamicHdr"
    }

    public init(_ info: SourceInfo) {
        formatName = info.formatName
        hasVideo = info.videoIndex != nil
        videoCodec = info.videoCodec
        width = info.width
        height = info.height
        pixelFormat = info.pixelFormat
        bitDepth = info.bitDepth
        frameRate = info.frameRate
        durationSeconds = info.durationSeconds
        estimatedFrames = info.estimatedFrames
        bitRate = info.bitRate
        isHDR = info.isHDR
        dynamicHDR = info.dynamicHDR
    }
}

/// One line a worker process writes on its stdout: JSON, one event per line.
public struct WorkerMessage: Codable, Sendable {
    public enum Event: String, Codable, Sendable {
        case probed, progress, stage, predicted, verified, nothingToDo = "nothing_to_do", failed
    }

    public var event: Event
    public var probe: ProbeFacts?
    public var progress: EncodeProgress?
    public var stage: String?
    /// With `predicted`: the samples' prediction; `reason` is set when the gate skips the encode.
    public var prediction: SizePrediction?
    /// With `predicted`, when a quality target was set: the CRF search whose chosen CRF
    /// `prediction` is for; `reason` is set when no CRF met the target.
    public var crfSearch: CRFSearchReport?
    /// With `nothing_to_do`, when the size watch stopped the full encode: where and why.
    public var sizeWatch: SizeWatch.Projection?
    public var summary: EncodeSummary?
    public var verification: OutputVerifier.Report?
    public var reason: String?
    /// With `failed`: whose fault it is. Absent from older workers and from probes: the file's.
    public var failure: FailureKind?

    public init(event: Event, probe: ProbeFacts? = nil, progress: EncodeProgress? = nil, stage: String? = nil,
                prediction: SizePrediction? = nil, crfSearch: CRFSearchReport? = nil, sizeWatch: SizeWatch.Projection? = nil,
                summary: EncodeSummary? = nil, verification: OutputVerifier.Report? = nil,
                reason: String? = nil, failure: FailureKind? = nil) {
        self.event = event
        self.probe = probe
        self.progress = progress
        self.stage = stage
        self.prediction = prediction
        self.crfSearch = crfSearch
        self.sizeWatch = sizeWatch
        self.summary = summary
        self.verification = verification
        self.reason = reason
        self.failure = failure
    }

    public func line() -> Data {
        ((try? JSONEncoder.av1d.encode(self)) ?? Data("{\"event\":\"failed\"}".utf8)) + Data("\n".utf8)
    }

    public static func parse(_ line: Data) -> WorkerMessage? {
        try? JSONDecoder.av1d.decode(WorkerMessage.self, from: line)
    }
}
