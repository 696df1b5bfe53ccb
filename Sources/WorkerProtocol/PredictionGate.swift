import Foundation
import NativeEncode

/// When a prediction skips the full encode: its predicted size ratio is at or above
/// `max_size_ratio` even after allowing for the prediction to have overshot by `margin`
/// (a fraction learned from past prediction errors). Titles closer to the threshold are encoded.
public struct PredictionGate: Codable, Sendable, Equatable {
    public var maxSizeRatio: Double
    public var margin: Double

    public init(maxSizeRatio: Double, margin: Double) {
        self.maxSizeRatio = maxSizeRatio
        self.margin = margin
    }

    /// The predicted ratio at which the encode is skipped.
    public var skipRatio: Double { maxSizeRatio * (1 + margin) }

    /// The reason to skip the encode, or nil to encode it.
    public func refusal(of prediction: SizePrediction) -> String? {
        guard prediction.ratio >= skipRatio else { return nil }
        return String(format: "predicted %.2fx of the original from %d samples (%.3g s); threshold %.2f (skipped from %.2fx: %.0f%% margin for prediction error)",
                      prediction.ratio, prediction.samples, prediction.sampleSeconds, maxSizeRatio, skipRatio, margin * 100)
    }
}
