import ArgumentParser
import NativeEncode

/// The quality target options `av1d encode` and `av1d bench` share: search the CRF on samples.
struct QualityTargetOptions: ParsableArguments {
    @Option(name: .customLong("quality-target-ssim"), help: "Search the CRF on samples: the highest one whose SSIM-Y reaches this (e.g. 0.985).")
    var ssim: Double?

    @Option(name: .customLong("quality-target-psnr"), help: "Search the CRF on samples: the highest one whose PSNR-Y reaches this many dB.")
    var psnr: Double?

    @Option(name: .customLong("crf-min"), help: "The lowest CRF the search may choose.")
    var crfMin = EncodeSettings.defaultCRFRange.lowerBound

    @Option(name: .customLong("crf-max"), help: "The highest CRF the search may choose.")
    var crfMax = EncodeSettings.defaultCRFRange.upperBound

    var target: QualityTarget? { ssim.map(QualityTarget.ssim) ?? psnr.map(QualityTarget.psnr) }

    func validate() throws {
        if ssim != nil && psnr != nil { throw ValidationError("give --quality-target-ssim or --quality-target-psnr, not both") }
        var settings = EncodeSettings()
        apply(to: &settings)
        if let problem = settings.problem(), let option = option(for: problem.field) {
            throw ValidationError("\(option) \(problem.message)")
        }
    }

    func apply(to settings: inout EncodeSettings) {
        settings.qualityTarget = target
        settings.crfMin = crfMin
        settings.crfMax = crfMax
    }

    /// The option a setting problem is about, when it is one of these.
    func option(for field: SettingProblem.Field) -> String? {
        switch field {
        case .qualityTarget: ssim != nil ? "--quality-target-ssim" : "--quality-target-psnr"
        case .crfMin: "--crf-min"
        case .crfMax: "--crf-max"
        default: nil
        }
    }
}
