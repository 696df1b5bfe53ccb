import LinuxSupport
/// Which AV1 encoder library to use.
public enum EncoderChoice: String, Sendable, CaseIterable, Codable {
    /// SVT-AV1 when it can take the picture size, libaom otherwise.
    case auto
    case svt
    case aom
}

/// What happens to pictures flagged interlaced (TV recordings, DVDs).
public enum Deinterlace: String, Sendable, CaseIterable, Codable {
    /// Pictures flagged interlaced are deinterlaced (libavfilter's bwdif, one picture per frame);
    /// progressive ones pass untouched.
    case auto
    /// Every picture is encoded as it is; the output is flagged with the source's field order.
    case off
}

/// The users' quality tiers: `very_high` runs one SVT preset slower than `high`.
public enum QualityTier: String, Sendable, CaseIterable, Codable {
    case high
    case veryHigh = "very_high"
}

/// The tuning guide's table: CRF and SVT preset by picture height.
public enum QualityTable {
    public static func crf(height: Int) -> Int {
        switch height {
        case 2160...: 21
        case 1440..<2160: 22
        case 1080..<1440: 23
        default: 24
        }
    }

    public static func preset(height: Int, tier: QualityTier) -> Int {
        let base = switch height {
        case 2160...: 3
        case 1080..<2160: 4
        default: 5
        }
        return tier == .veryHigh ? base - 1 : base
    }
}

/// What the caller asks of one encode. Unset values come from the quality table.
public struct EncodeSettings: Sendable, Codable, Equatable {
    public var encoder: EncoderChoice = .auto
    public var preset: Int?
    public var crf: Int?
    public var qualityTier: QualityTier = .veryHigh
    /// Output bit depth, 8 or 10. 10 gives less banding at the same size.
    public var bitDepth: Int = 10
    /// SVT-AV1 film-grain synthesis strength, 0 (off) to 50.
    public var filmGrain: Int = 0
    /// The encoder's thread budget; nil means one per CPU the job may use.
    public var threads: Int?
    /// CPUs the whole job is confined to; nil means whatever the process may use.
    public var cpus: CPUSet?
    /// Frames between keyframes; nil means about ten seconds of video.
    public var keyframeInterval: Int?
    /// SVT mini-GOP of 2^levels frames; 4 (16 frames) is what FFmpeg's wrapper uses, and less memory than 5.
    public var hierarchicalLevels: Int = 4
    /// Whether pictures flagged interlaced are deinterlaced.
    public var deinterlace: Deinterlace = .auto
    /// Frames the decode stage may hold ready ahead of the encoder.
    public var queueDepth: Int = 3
    /// Also show the libraries' own logs (SVT-AV1 prints its configuration).
    public var verbose = false
    /// Encode only this stretch of the video (benchmarks); nil means the whole file.
    public var segment: Segment?
    /// Whether the title is split into chunks encoded side by side (and resumable).
    public var chunks: ChunkMode = .auto
    /// Search the CRF per title on samples for this quality (`CRFSearch`), starting from `crf`
    /// (or the quality table's); nil encodes at that CRF.
    public var qualityTarget: QualityTarget?
    /// The CRFs the search may choose from.
    public var crfMin = EncodeSettings.defaultCRFRange.lowerBound
    public var crfMax = EncodeSettings.defaultCRFRange.upperBound

    /// Wide enough for a transparent archive (18) and a small phone copy (45); the quality
    /// table's own CRFs (21-24) lie inside.
    public static let defaultCRFRange = 18...45

    public init() {}

    public func resolvedCRF(height: Int) -> Int { crf ?? QualityTable.crf(height: height) }
    /// The CRF search's bounds (valid once `problem()` is nil).
    public var crfRange: ClosedRange<Int> { crfMin...max(crfMin, crfMax) }
    public func resolvedPreset(height: Int) -> Int { preset ?? QualityTable.preset(height: height, tier: qualityTier) }
    public func resolvedKeyframeInterval(framesPerSecond: Double) -> Int {
        keyframeInterval ?? Self.defaultKeyframeInterval(framesPerSecond: framesPerSecond)
    }

    /// Pictures in SVT's mini-GOP (2^hierarchical levels).
    public var miniGOP: Int { 1 << hierarchicalLevels }

    /// About ten seconds of video between keyframes.
    public static func defaultKeyframeInterval(framesPerSecond: Double) -> Int {
        max(Int((framesPerSecond * 10).rounded()), 1)
    }
}

/// A stretch of video: `frames` pictures from the first one at or after `start`.
public struct Segment: Sendable, Equatable, Codable {
    /// Seconds from the start of the file, as ffmpeg's `-ss` before `-i` counts them.
    public var start: Double
    public var frames: Int

    public init(start: Double, frames: Int) {
        self.start = start
        self.frames = frames
    }
}

/// A setting out of its range, named by field so each front end (command line, config file)
/// can say it in its own words. The ranges live here only.
public struct SettingProblem: Sendable, Equatable, Error {
    public enum Field: Sendable, Equatable { case preset, crf, bitDepth, filmGrain, threads, keyframeInterval, qualityTarget, crfMin, crfMax }

    public let field: Field
    /// "must be between 1 and 63"
    public let message: String
}

extension EncodeSettings {
    /// The first setting out of range, or nil.
    public func problem() -> SettingProblem? {
        if let preset, !(-1...13).contains(preset) { return SettingProblem(field: .preset, message: "must be between -1 and 13") }
        if let crf, !(1...63).contains(crf) { return SettingProblem(field: .crf, message: "must be between 1 and 63") }
        if ![8, 10].contains(bitDepth) { return SettingProblem(field: .bitDepth, message: "must be 8 or 10") }
        if !(0...50).contains(filmGrain) { return SettingProblem(field: .filmGrain, message: "must be between 0 and 50") }
        if let threads, threads < 1 { return SettingProblem(field: .threads, message: "must be at least 1") }
        if let keyframeInterval, keyframeInterval < 1 { return SettingProblem(field: .keyframeInterval, message: "must be at least 1") }
        if let problem = qualityTarget?.problem { return SettingProblem(field: .qualityTarget, message: problem) }
        if !(1...63).contains(crfMin) { return SettingProblem(field: .crfMin, message: "must be between 1 and 63") }
        if !(1...63).contains(crfMax) { return SettingProblem(field: .crfMax, message: "must be between 1 and 63") }
        if crfMax < crfMin { return SettingProblem(field: .crfMax, message: "must not be below the lowest CRF (\(crfMin))") }
        return nil
    }
}
