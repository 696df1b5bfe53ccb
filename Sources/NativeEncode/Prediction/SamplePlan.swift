/// Where a prediction samples a title: a few short stretches spread evenly over it, each encoded
/// on its own. The sampled share shrinks as titles grow: a 2-hour film samples 24 s of 7200.
public struct SamplePlan: Sendable, Equatable {
    /// Titles shorter than this are encoded in full: a sample would be most of the title.
    public static let shortestTitleSeconds = 3.0

    public var segments: [Segment]
    /// Seconds of source video the samples cover together.
    public var sampleSeconds: Double

    /// How many samples of what length, by the title's length. Long titles skip their first and
    /// last minute (logos, credits); short ones give a quarter of their length to two samples.
    struct Shape: Equatable {
        var count: Int
        var seconds: Double
        var skippedEnds: Double

        init(count: Int, seconds: Double, skippedEnds: Double) {
            self.count = count
            self.seconds = seconds
            self.skippedEnds = skippedEnds
        }

        init(durationSeconds duration: Double) {
            switch duration {
            case 1800...: self.init(count: 6, seconds: 4, skippedEnds: 60)
            case 600..<1800: self.init(count: 5, seconds: 3, skippedEnds: 60)
            case 60..<600: self.init(count: 4, seconds: 2, skippedEnds: 0)
            default: self.init(count: 2, seconds: min(duration / 8, 2), skippedEnds: 0)
            }
        }
    }

    /// The plan for a title, or nil when it is too short to sample. `keyframe(t)` answers the
    /// time of the source's keyframe at or before `t` (nil when unknown): a sample moves back
    /// onto it when that keeps it in its own share of the title, so its decode starts there.
    public init?(durationSeconds duration: Double, frameRate: Double, keyframe: (Double) -> Double? = { _ in nil }) {
        guard duration >= Self.shortestTitleSeconds, frameRate > 0 else { return nil }
        let shape = Shape(durationSeconds: duration)
        let frames = max(Int((shape.seconds * frameRate).rounded()), 1)
        let length = Double(frames) / frameRate
        let first = shape.skippedEnds, last = duration - shape.skippedEnds
        let share = (last - first) / Double(shape.count)
        var segments: [Segment] = []
        for index in 0..<shape.count {
            let shareStart = first + share * Double(index)
            // Centred in its share; whole milliseconds, as `av1d bench` prints starts.
            let centred = ((shareStart + (share - length) / 2) * 1000).rounded(.down) / 1000
            var start = max(centred, 0)
            if let onKeyframe = keyframe(start), onKeyframe >= shareStart, onKeyframe <= start { start = onKeyframe }
            segments.append(Segment(start: start, frames: frames))
        }
        self.segments = segments
        sampleSeconds = length * Double(segments.count)
    }
}
