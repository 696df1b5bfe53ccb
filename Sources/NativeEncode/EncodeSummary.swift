import LinuxSupport
/// The outcome of one successful encode.
public struct EncodeSummary: Sendable, Codable {
    public var input: String
    public var output: String
    public var encoder: String
    public var preset: Int
    public var crf: Int
    public var bitDepth: Int
    public var threads: Int
    public var cpus: CPUSet
    public var width: Int
    public var height: Int
    public var framesDecoded: Int
    public var framesEncoded: Int
    /// Video duration: from the first frame's start to the last frame's end.
    public var durationSeconds: Double
    public var wallSeconds: Double
    public var fps: Double
    public var inputBytes: Int64
    public var outputBytes: Int64
    public var peakRSSBytes: Int
    /// The most picture memory waiting between decoder and encoder at once.
    public var peakQueuedFrameBytes: Int
    /// Kind of each output stream, in order ("video", "audio", "subtitle", "attachment").
    public var streamKinds: [String]
    /// What the source declares, read apart from the encode: what the verifier holds the output to.
    public var source: SourceFacts
    /// What happened to every input stream (encode, copy, convert, attach, drop) and why.
    public var streams: [StreamDecision]
    /// What became of each source stream in the output, in source order (plus tracks the engine
    /// extracted, such as closed captions): what the verifier checks the output's streams against.
    public var fates: [StreamFate]
    /// Things worth knowing: dropped or converted streams, repaired timestamps, HDR caveats.
    public var notes: [String]

    public var sizeRatio: Double { inputBytes > 0 ? Double(outputBytes) / Double(inputBytes) : 0 }

    // Spelled out because av1d's JSON is snake_case and an acronym does not survive the round
    // trip (`peakRSSBytes` → `peak_rss_bytes` → `peakRssBytes`).
    private enum CodingKeys: String, CodingKey {
        case input, output, encoder, preset, crf, bitDepth, threads, cpus, width, height, framesDecoded, framesEncoded
        case durationSeconds, wallSeconds, fps, inputBytes, outputBytes, peakQueuedFrameBytes, streamKinds, source, streams
        case fates, notes
        case peakRSSBytes = "peakRssBytes"
    }
}
