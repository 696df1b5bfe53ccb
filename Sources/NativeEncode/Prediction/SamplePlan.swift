/// Where a prediction samples a title: short stretches spread evenly over it, each encoded on its
/// own. What they cost is bounded by the title: together they cover at most `budget` of its
/// pictures, so a title too short for the fewest samples is not sampled (it is encoded in full),
/// and a 2-hour film samples under 1% of itself.
public struct SamplePlan: Sendable, Equatable {
    /// The share of a title's pictures the samples may cover. Sample pictures cost more than the
    /// full encode's (a keyframe each, the encoder's start) and the samples are scored against the
    /// source: 8% of the pictures costs about 0.1x of the full encode (measured on 480x270 titles
    /// of 42 s at preset 8, where the per-sample start weighs most).
    public static let budget = 0.08
    /// Fewer samples than this say too little of a title to skip its encode.
    public static let fewestSamples = 2
    /// More samples than this add little to a long title's prediction, only cost.
    public static let mostSamples = 20
    /// Long titles skip their first and last minute (logos, credits).
    static let longTitleSeconds = 600.0
    static let skippedEnds = 60.0
    /// (√5 − 1) / 2: its multiples mod 1 are as far from simple fractions as numbers get.
    static let goldenFraction = 0.6180339887498949

    /// Where in its share of the title each sample lies.
    public enum Placement: Sendable, Equatable {
        /// At the golden ratio's multiples (mod 1) of its share: no simple fraction of the title.
        case spread
        /// At the centre of its share, where a title of equal parts has its cuts: the CRF
        /// search's samples. Samples off the cuts score above the title, whose cuts the full
        /// encode codes from the previous scene (views-highrate.mkv, preset 10, SSIM-Y 0.98: the
        /// full encode at the chosen CRF measured 0.9741 with spread samples, 0.9791 centred).
        case centred
    }

    public var segments: [Segment]
    /// Seconds of source video the samples cover together.
    public var sampleSeconds: Double

    /// The plan for a title, or nil when the fewest samples would cost more than the budget.
    /// Each sample is one keyframe and whole mini-GOPs of `miniGOP` pictures (two, or four in
    /// long titles), so it has the full encode's picture structure: a sample cut inside a mini-GOP
    /// ends in an odd, costly base picture.
    /// Samples start where they fall, not at the source's keyframes: those are scene cuts, and a
    /// sample starting on a cut hides the cut's cost in its own keyframe (measured: −10 to −14%).
    /// Spread samples are not centred in their shares: a title made of equal parts (episodes of a
    /// compilation, the views of the test library) has its cuts at simple fractions of its length,
    /// the centres among them, and every sample held a cut (measured: +18 to +28% with the full
    /// encode's own bytes at the centres, −6 to +4% at the offsets below).
    public init?(durationSeconds duration: Double, frameRate: Double, miniGOP: Int, placement: Placement = .spread) {
        guard duration > 0, frameRate > 0, miniGOP > 0 else { return nil }
        let isLong = duration >= Self.longTitleSeconds
        let frames = 1 + miniGOP * (isLong ? 4 : 2)
        let titleFrames = duration * frameRate
        let count = min(Int(Self.budget * titleFrames / Double(frames)), Self.mostSamples)
        guard count >= Self.fewestSamples else { return nil }
        let length = Double(frames) / frameRate
        let first = isLong ? Self.skippedEnds : 0, last = duration - first
        let share = (last - first) / Double(count)
        segments = (0..<count).map { index in
            // At the golden ratio's multiples (mod 1) within its share: no simple fraction of the
            // title, and spread however many samples there are. Whole milliseconds, as `av1d
            // bench` prints starts.
            let offset = switch placement {
            case .spread: (Self.goldenFraction * Double(index + 1)).truncatingRemainder(dividingBy: 1)
            case .centred: 0.5
            }
            let start = first + share * Double(index) + (share - length) * offset
            return Segment(start: max((start * 1000).rounded(.down) / 1000, 0), frames: frames)
        }
        sampleSeconds = length * Double(count)
    }

    /// The shortest title sampled at `frameRate` (below it, a title is encoded in full).
    public static func shortestTitleSeconds(frameRate: Double, miniGOP: Int) -> Double {
        Double(fewestSamples * (1 + miniGOP * 2)) / budget / frameRate
    }
}
