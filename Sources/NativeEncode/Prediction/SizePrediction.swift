/// What the samples say the full encode will give, before it runs.
public struct SizePrediction: Codable, Sendable, Equatable {
    public var samples: Int
    /// Seconds of source video the samples cover together.
    public var sampleSeconds: Double
    public var videoBytes: Int64
    /// Audio, subtitles and attachments, taken over from the source unchanged.
    public var otherBytes: Int64
    public var originalBytes: Int64
    /// The samples' SSIM-Y and PSNR-Y against the source; nil when they could not be compared.
    public var ssimY: Double?
    public var psnrY: Double?
    /// Why there is no quality score, when there is none.
    public var qualityNote: String?
    /// CPU time (all threads) and wall time the prediction took.
    public var cpuSeconds: Double
    public var wallSeconds: Double

    public var predictedBytes: Int64 { videoBytes + otherBytes }
    /// Predicted output size over the original's.
    public var ratio: Double { Double(predictedBytes) / Double(max(originalBytes, 1)) }
}
