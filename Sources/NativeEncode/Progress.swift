import Foundation

/// Where an encode stands, in frames: exact counts, not guesses from file sizes.
public struct EncodeProgress: Sendable, Codable {
    public var framesEncoded: Int
    /// Frames expected: the container's count, or duration x frame rate when it stores none.
    public var framesTotal: Int
    public var elapsedSeconds: Double
    /// Frames encoded per wall-clock second so far.
    public var fps: Double
    public var outputBytes: Int64
    /// The encoded video so far, counted packet by packet (the file's size lags by a cluster).
    public var video = EncodedVideoBytes()
    /// Seconds left at the current speed; nil until there is a speed to go by.
    public var etaSeconds: Double?
    /// A chunked encode's chunks and workers; nil for a title encoded in one piece.
    public var chunks: ChunkProgress?

    /// 0...1; stays below 1 until the encode has really finished.
    public var fraction: Double {
        guard framesTotal > 0 else { return 0 }
        return min(Double(framesEncoded) / Double(framesTotal), 0.999)
    }
}

/// Where a chunked title stands: its chunks, and what each chunk worker is doing.
public struct ChunkProgress: Sendable, Codable, Equatable {
    public struct Worker: Sendable, Codable, Equatable {
        /// The CPUs the worker's process is confined to ("0-7").
        public var cpus: String
        /// The chunk it is encoding; nil between chunks or once none is left.
        public var chunk: Int?
        /// Its process, while it runs.
        public var pid: Int32?
    }

    public var total: Int
    public var finished: Int
    public var workers: [Worker]
}

/// The encoded video's bytes, keyframes apart: a title has one every `keyframe_interval`
/// pictures, so what the first ones cost says little of the rest.
public struct EncodedVideoBytes: Sendable, Codable, Equatable {
    public var keyframes = 0
    public var keyframeBytes: Int64 = 0
    public var otherFrames = 0
    public var otherBytes: Int64 = 0

    public init() {}

    /// Takes back pictures counted before (a chunk encoded again).
    mutating func remove(_ other: EncodedVideoBytes) {
        keyframes -= other.keyframes
        keyframeBytes -= other.keyframeBytes
        otherFrames -= other.otherFrames
        otherBytes -= other.otherBytes
    }

    mutating func add(_ bytes: Int, isKeyframe: Bool) {
        if isKeyframe {
            keyframes += 1
            keyframeBytes += Int64(bytes)
        } else {
            otherFrames += 1
            otherBytes += Int64(bytes)
        }
    }
}

/// Receives progress from the encode thread; must return quickly.
public typealias ProgressObserver = @Sendable (EncodeProgress) -> Void

/// Turns frame counts into throttled progress reports.
struct ProgressMeter {
    let framesTotal: Int
    let observer: ProgressObserver?
    let interval: Double
    /// Frames already encoded before this run (a resumed chunked title): counted as done, not as speed.
    let baseline: Int
    private let start = Date()
    private var lastReport = Date.distantPast

    init(framesTotal: Int, observer: ProgressObserver?, interval: Double = 0.25, baseline: Int = 0) {
        self.framesTotal = framesTotal
        self.baseline = baseline
        self.observer = observer
        self.interval = interval
    }

    var elapsed: Double { Date().timeIntervalSince(start) }

    mutating func update(frames: Int, outputBytes: Int64, video: EncodedVideoBytes = EncodedVideoBytes(), chunks: ChunkProgress? = nil,
                         force: Bool = false) {
        guard let observer else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastReport) >= interval else { return }
        lastReport = now
        let elapsed = now.timeIntervalSince(start)
        let fps = elapsed > 0 ? Double(frames - baseline) / elapsed : 0
        let remaining = max(framesTotal - frames, 0)
        let eta: Double? = fps > 0 && frames - baseline >= 2 ? Double(remaining) / fps : nil
        observer(EncodeProgress(framesEncoded: frames, framesTotal: max(framesTotal, frames), elapsedSeconds: elapsed,
                                fps: fps, outputBytes: outputBytes, video: video, etaSeconds: eta, chunks: chunks))
    }
}
