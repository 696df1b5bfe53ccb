import Foundation

/// The quality a title's encode must reach, scored on its samples against the source: the CRF
/// search picks the highest CRF (the smallest file) that still reaches it.
public struct QualityTarget: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Luma scores the engine computes in process (Debian 12's FFmpeg has no libvmaf).
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case ssim
        case psnr
    }

    public var metric: Metric
    /// SSIM-Y (0 to 1) or PSNR-Y in dB.
    public var score: Double

    public init(metric: Metric, score: Double) {
        self.metric = metric
        self.score = score
    }

    public static func ssim(_ score: Double) -> QualityTarget { QualityTarget(metric: .ssim, score: score) }
    public static func psnr(_ score: Double) -> QualityTarget { QualityTarget(metric: .psnr, score: score) }

    /// "SSIM-Y 0.985", "PSNR-Y 40.0 dB"
    public var description: String { Self.format(score, metric) }

    /// A score of this target's metric, written as the target is.
    public static func format(_ score: Double, _ metric: Metric) -> String {
        switch metric {
        case .ssim: String(format: "SSIM-Y %.4g", score)
        case .psnr: String(format: "PSNR-Y %.2f dB", score)
        }
    }

    /// The problem with the score, or nil: SSIM lies between 0 and 1 (1 is identical), PSNR is in
    /// dB and capped at 100 for identical pictures.
    var problem: String? {
        switch metric {
        case .ssim: score > 0 && score < 1 ? nil : "must be above 0 and below 1"
        case .psnr: score > 0 && score < 100 ? nil : "must be above 0 and below 100 (dB)"
        }
    }

    /// The samples' score in this target's metric, or nil when they could not be scored.
    public func score(of prediction: SizePrediction) -> Double? {
        switch metric {
        case .ssim: prediction.ssimY
        case .psnr: prediction.psnrY
        }
    }

    public func isMet(by score: Double) -> Bool { score >= self.score }

    /// The score on a scale that is close to a straight line in CRF, for interpolating between
    /// two tried CRFs: PSNR as it is, SSIM as dB of its distance from 1 (−10·log10(1 − SSIM)),
    /// which, like PSNR, falls by roughly equal steps per CRF step.
    func linearized(_ score: Double) -> Double {
        switch metric {
        case .ssim: -10 * log10(max(1 - score, 1e-10))
        case .psnr: score
        }
    }
}
