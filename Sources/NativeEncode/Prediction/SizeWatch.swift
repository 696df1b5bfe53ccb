/// Watches a full encode's size as it goes: once enough of the title is encoded, it projects the
/// final size from what the encoded part cost against the source's bytes for the same pictures,
/// and says when the title is clearly on course to miss the size gate, so the rest of its encode
/// is not spent on an output that would be thrown away.
///
/// The projection is the prediction's model applied to the title's own beginning: keyframes at
/// their mean cost, one every `keyframeInterval` pictures; other pictures at the encoded part's
/// bytes per source byte, times the source's bytes for the pictures still to come.
public struct SizeWatch: Sendable {
    /// Nothing is judged before this share of the title's pictures is encoded: the first
    /// seconds (one keyframe, the encoder settling) say too little.
    public static let earliestShare = 0.10
    /// The margin for projection error at `earliestShare`; it shrinks in proportion to the
    /// share still to encode, to `finalMargin` at the end. Replayed on full encodes of nine 42 s
    /// titles (preset 8, CRF 30; `scripts/size-watch-accuracy.py`, every third picture), the
    /// projection overshot by at most 5.1% with 10-20% of the pictures encoded, 7.3% with 20-30%,
    /// 5.8, 6.6, 5.5, 3.4% in the next tenths, 2.2% from 70% on (all a broadcast MPEG-2 title; the
    /// eight others at most 5.2% with 20-30%, 2.7% after, 0.7% after 80%). The margin at the
    /// start of each tenth: 12, 11, 10, 9, 8, 7, 6, 5, 4% (3% at the end).
    public static let earliestMargin = 0.12
    public static let finalMargin = 0.03

    public let maxSizeRatio: Double
    private let miniGOP: Int
    /// The source's video bytes before each picture (display order): `[0] = 0`, last = all.
    private let sourceBefore: [Int64]
    /// The output's bytes besides its video (audio, subtitles, attachments).
    private let otherBytes: Int64
    private let originalBytes: Int64
    private let keyframeInterval: Int

    /// A watch for the encode of a source whose streams were counted (`streams`), or nil when
    /// its pictures could not be counted.
    public init?(maxSizeRatio: Double, source streams: SourceStreamBytes, originalBytes: Int64, keyframeInterval: Int, miniGOP: Int) {
        self.init(maxSizeRatio: maxSizeRatio, sourcePictures: streams.pictures, otherBytes: streams.other,
                  originalBytes: originalBytes, keyframeInterval: keyframeInterval, miniGOP: miniGOP)
    }

    init?(maxSizeRatio: Double, sourcePictures: [Int64], otherBytes: Int64, originalBytes: Int64, keyframeInterval: Int,
          miniGOP: Int) {
        guard !sourcePictures.isEmpty, originalBytes > 0, maxSizeRatio > 0 else { return nil }
        var before: [Int64] = [0]
        before.reserveCapacity(sourcePictures.count + 1)
        for bytes in sourcePictures { before.append(before.last! + bytes) }
        guard before.last! > 0 else { return nil }
        self.maxSizeRatio = maxSizeRatio
        sourceBefore = before
        self.otherBytes = otherBytes
        self.originalBytes = originalBytes
        self.keyframeInterval = max(keyframeInterval, 1)
        self.miniGOP = max(miniGOP, 1)
    }

    /// What the encode so far says of the whole.
    public struct Projection: Sendable, Equatable, Codable {
        /// The share of the title's pictures encoded.
        public var share: Double
        /// The projected output size over the original's.
        public var ratio: Double
        /// The ratio at or above which the encode is stopped at this share.
        public var stopRatio: Double

        public var isOffCourse: Bool { ratio >= stopRatio }

        /// Why the encode was stopped, for the job's reason and the `.why.txt`.
        public func reason(maxSizeRatio: Double) -> String {
            String(format: "stopped at %.0f%%: on course for %.2fx of the original (threshold %.2f)",
                   share * 100, ratio, maxSizeRatio)
        }
    }

    /// The projection after `progress`, or nil before `earliestShare` (or with nothing encoded).
    public func projection(after progress: EncodeProgress) -> Projection? {
        let pictures = sourceBefore.count - 1
        // Pictures and packets may not pair one to one (a packet per field, repeated fields): the
        // encoded share is also taken as a share of the frames expected, and the larger of the
        // two, which projects the smaller size. The frames to come are the fewer of the two counts,
        // which gives the fewer keyframes. Each choice errs towards finishing the encode.
        let encoded = progress.framesEncoded
        let expected = max(progress.framesTotal, encoded, 1)
        let inSource = { (frames: Int) in min(max(frames, frames * pictures / expected), pictures) }
        let share = Double(inSource(encoded)) / Double(pictures)
        let video = progress.video
        guard share >= Self.earliestShare, video.otherFrames > 0, video.keyframes > 0 else { return nil }
        // A mini-GOP's base picture, its last, is coded (hidden) before the others are shown: the
        // bytes so far hold the whole mini-GOP's anchor, so they are set against the source's
        // bytes to its end (measured: without this, a cut just ahead sent one projection from 0.85x to 0.99x on a
        // title whose real ratio is 0.92).
        let settled = inSource(miniGOPEnd(after: encoded))
        let sourceDone = Double(sourceBefore[settled]), sourceLeft = Double(sourceBefore[pictures]) - sourceDone
        // The source's bytes for the encoded non-key pictures, taken as their share of the pictures.
        let sourceOfOthers = sourceDone * Double(video.otherFrames) / Double(video.otherFrames + video.keyframes)
        guard sourceOfOthers > 0 else { return nil }
        let perSourceByte = Double(video.otherBytes) / sourceOfOthers
        let frames = min(expected, pictures)
        let framesLeft = max(frames - encoded, 0)
        let keyframesLeft = min(max((frames + keyframeInterval - 1) / keyframeInterval - video.keyframes, 0), framesLeft)
        let othersLeft = framesLeft > 0 ? Double(framesLeft - keyframesLeft) / Double(framesLeft) : 0
        let projected = Double(video.keyframeBytes + video.otherBytes)
            + Double(keyframesLeft) * Double(video.keyframeBytes) / Double(video.keyframes)
            + perSourceByte * sourceLeft * othersLeft
            + Double(otherBytes)
        let margin = Self.finalMargin + (Self.earliestMargin - Self.finalMargin) * (1 - share) / (1 - Self.earliestShare)
        return Projection(share: share, ratio: projected / Double(originalBytes), stopRatio: maxSizeRatio * (1 + margin))
    }

    /// The frames through the end of the mini-GOP under way after `frames`: mini-GOPs follow each
    /// keyframe (one every `keyframeInterval`), the last before the next keyframe cut short.
    func miniGOPEnd(after frames: Int) -> Int {
        let period = frames / keyframeInterval * keyframeInterval, inPeriod = frames - period
        guard inPeriod > 0 else { return frames }
        let miniGOPs = (inPeriod - 1 + miniGOP - 1) / miniGOP
        return period + min(1 + miniGOPs * miniGOP, keyframeInterval)
    }
}
