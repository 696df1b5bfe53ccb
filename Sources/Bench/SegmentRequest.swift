import LinuxSupport
import NativeEncode

/// The stretch of the input `av1d bench` measures, as the user asked for it (`--start`,
/// `--frames` or `--seconds`), resolved against the file's length.
public struct SegmentRequest: Sendable, Equatable {
    public static let defaultFrames = 240
    /// The default segment starts this far into the file (a fraction of its duration): openings
    /// are often black or static and would flatter the encoder.
    public static let defaultStartFraction = 0.1

    public var start: Double?
    public var frames: Int?
    public var seconds: Double?

    public init(start: Double? = nil, frames: Int? = nil, seconds: Double? = nil) {
        self.start = start
        self.frames = frames
        self.seconds = seconds
    }

    /// An explicit start is kept as given. The default start moves earlier when the segment
    /// would run past the end, down to the file's beginning when the file is shorter than it.
    public func resolve(durationSeconds: Double, frameRate: Double) -> Segment {
        let count = frames ?? seconds.map { max(Int(($0 * frameRate).rounded()), 1) } ?? Self.defaultFrames
        if let start { return Segment(start: start, frames: count) }
        let length = Double(count) / frameRate
        let latestStart = durationSeconds - length
        let wanted = min(durationSeconds * Self.defaultStartFraction, latestStart)
        // Whole milliseconds: the same start is then printed, passed to ffmpeg and used by us.
        return Segment(start: max((wanted * 1000).rounded(.down) / 1000, 0), frames: count)
    }
}
