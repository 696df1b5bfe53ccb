import Foundation
import LinuxSupport

/// Finds, per title, the highest CRF (the smallest file) whose samples still reach a quality
/// target: the prediction's samples, centred in their shares (`SamplePlan.Placement`), are encoded at a few CRFs chosen by `CRFBracket` and scored
/// against the source, then the full encode runs once, at the chosen CRF. The chosen CRF's
/// prediction is what the size gate judges: no extra encode for it.
public struct CRFSearch: Sendable {
    public var settings: EncodeSettings
    public var target: QualityTarget

    public init(settings: EncodeSettings, target: QualityTarget) {
        self.settings = settings
        self.target = target
    }

    /// What a step is doing, for a worker's stage line or a progress display.
    public typealias StepObserver = @Sendable (_ step: Int, _ crf: Int, _ sample: Int, _ of: Int, _ progress: EncodeProgress) -> Void

    public enum Outcome: Sendable {
        /// The search ran: the chosen CRF (or none) and the prediction at it (at the best quality
        /// tried when none met the target), whose CPU and wall time are the whole search's.
        case searched(CRFSearchReport, SizePrediction)
        /// The title is too short to sample (`SamplePlan.shortestTitleSeconds`).
        case tooShort
        /// The samples could not be scored against the source (the reason).
        case unscorable(String)
    }

    /// Searches `input`'s CRF; samples are written beside `scratch` and removed, as the
    /// prediction's are.
    public func run(input: String, scratch: String, observer: StepObserver? = nil,
                    stop: StopFlag = StopFlag()) throws(EncodeError) -> Outcome {
        var streams: SourceStreamBytes?
        return try run(input: input, scratch: scratch, streams: &streams, observer: observer, stop: stop)
    }

    /// The same, with the source's stream bytes counted once for the search and whatever else
    /// shares `streams` (the full encode's size watch).
    public func run(input: String, scratch: String, streams: inout SourceStreamBytes?, observer: StepObserver? = nil,
                    stop: StopFlag = StopFlag()) throws(EncodeError) -> Outcome {
        let before = UsageSample.now()
        let height = SourceInfo(try MediaInput(path: input)).height
        var bracket = CRFBracket(range: settings.crfRange, target: target, start: settings.resolvedCRF(height: height))
        var steps: [CRFSearchStep] = []
        var predictions: [Int: SizePrediction] = [:]
        while case .tryCRF(let crf) = bracket.next {
            var stepSettings = settings
            stepSettings.crf = crf
            let step = steps.count + 1
            var sampleObserver: SamplePredictor.SampleObserver?
            if let observer {
                sampleObserver = { sample, count, progress in observer(step, crf, sample, count, progress) }
            }
            let predicted = try SamplePredictor(settings: stepSettings, placement: .centred).predict(
                input: input, scratch: scratch, streams: &streams, observer: sampleObserver, stop: stop)
            guard let prediction = predicted else { return .tooShort }
            guard let score = target.score(of: prediction) else {
                return .unscorable(prediction.qualityNote ?? "the samples have no quality score")
            }
            bracket.record(crf: crf, score: score)
            predictions[crf] = prediction
            steps.append(CRFSearchStep(crf: crf, prediction: prediction, meetsTarget: target.isMet(by: score)))
        }
        let chosen: Int? = if case .chosen(let crf) = bracket.next { crf } else { nil }
        let after = UsageSample.now()
        let report = CRFSearchReport(target: target, crfMin: bracket.range.lowerBound, crfMax: bracket.range.upperBound,
                                     steps: steps, chosenCRF: chosen, cpuSeconds: after.cpuSeconds - before.cpuSeconds,
                                     wallSeconds: after.wallSeconds - before.wallSeconds)
        // Steps were tried, so the lowest CRF tried has a prediction.
        var prediction = predictions[chosen ?? steps.map(\.crf).min()!]!
        prediction.cpuSeconds = report.cpuSeconds
        prediction.wallSeconds = report.wallSeconds
        return .searched(report, prediction)
    }
}

/// One CRF the search tried: its samples' scores and the size they predict.
public struct CRFSearchStep: Codable, Sendable, Equatable {
    public var crf: Int
    public var ssimY: Double?
    public var psnrY: Double?
    public var predictedBytes: Int64
    public var predictedRatio: Double
    /// CPU time of this step's sample encodes and scores.
    public var cpuSeconds: Double
    public var meetsTarget: Bool

    public init(crf: Int, prediction: SizePrediction, meetsTarget: Bool) {
        self.crf = crf
        ssimY = prediction.ssimY
        psnrY = prediction.psnrY
        predictedBytes = prediction.predictedBytes
        predictedRatio = prediction.ratio
        cpuSeconds = prediction.cpuSeconds
        self.meetsTarget = meetsTarget
    }
}

/// What a CRF search did: the job record's `crf_search`, and what `av1d bench` shows.
public struct CRFSearchReport: Codable, Sendable, Equatable {
    public var target: QualityTarget
    public var crfMin: Int
    public var crfMax: Int
    /// In the order tried.
    public var steps: [CRFSearchStep]
    /// The highest CRF whose samples met the target; nil when none in the range did.
    public var chosenCRF: Int?
    /// CPU (all threads) and wall time of the whole search.
    public var cpuSeconds: Double
    public var wallSeconds: Double

    // av1d's JSON is snake_case; an acronym does not survive the round trip by itself.
    private enum CodingKeys: String, CodingKey {
        case target, crfMin, crfMax, steps, chosenCRF = "chosenCrf", cpuSeconds, wallSeconds
    }

    public init(target: QualityTarget, crfMin: Int, crfMax: Int, steps: [CRFSearchStep], chosenCRF: Int?,
                cpuSeconds: Double, wallSeconds: Double) {
        self.target = target
        self.crfMin = crfMin
        self.crfMax = crfMax
        self.steps = steps
        self.chosenCRF = chosenCRF
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
    }

    /// The step at the chosen CRF.
    public var chosen: CRFSearchStep? { steps.first { $0.crf == chosenCRF } }

    /// The CRF tried first, then the rest in order: "CRF 24 0.9921, 45 0.9603, 36 0.9842".
    public var trail: String {
        steps.map { step in
            let score = (target.metric == .ssim ? step.ssimY : step.psnrY)
                .map { target.metric == .ssim ? String(format: "%.4f", $0) : String(format: "%.2f", $0) } ?? "--"
            return "\(step.crf) \(score)"
        }.joined(separator: ", ")
    }

    /// One line: what was chosen, or why nothing was.
    public var summary: String {
        let cost = String(format: "%d steps, %.1f CPU s", steps.count, cpuSeconds)
        guard let chosen else {
            return "no CRF in \(crfMin)..\(crfMax) reaches \(target) on the samples (CRF \(trail); \(cost))"
        }
        return "CRF \(chosen.crf) is the highest in \(crfMin)..\(crfMax) reaching \(target) on the samples (CRF \(trail); \(cost))"
    }
}
