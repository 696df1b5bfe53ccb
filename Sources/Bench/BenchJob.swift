import LinuxSupport
import NativeEncode

/// One measured encode with every setting explicit, so that our runs and ffmpeg's are given
/// exactly the same values.
public struct BenchJob: Sendable, Codable, Equatable {
    public var input: String
    public var segment: Segment
    public var encoder: EncoderChoice
    public var preset: Int
    public var crf: Int
    public var keyframeInterval: Int
    public var bitDepth: Int
    /// The encoder's thread budget.
    public var threads: Int
    /// CPUs the job is confined to; nil means wherever this process may run.
    public var cpus: CPUSet?

    public init(input: String, segment: Segment, encoder: EncoderChoice, preset: Int, crf: Int,
                keyframeInterval: Int, bitDepth: Int, threads: Int, cpus: CPUSet?) {
        self.input = input
        self.segment = segment
        self.encoder = encoder
        self.preset = preset
        self.crf = crf
        self.keyframeInterval = keyframeInterval
        self.bitDepth = bitDepth
        self.threads = threads
        self.cpus = cpus
    }

    /// The engine's settings for this job; the rest (mini-GOP, film grain...) are the engine's defaults.
    public var settings: EncodeSettings {
        var settings = EncodeSettings()
        settings.encoder = encoder
        settings.preset = preset
        settings.crf = crf
        settings.keyframeInterval = keyframeInterval
        settings.bitDepth = bitDepth
        settings.threads = threads
        settings.cpus = cpus
        settings.segment = segment
        return settings
    }
}
