import CFFmpeg

/// Finds the source's keyframes by seeking, the way a chunk's own seek will land.
struct KeyframeFinder: ~Copyable {
    private let input: MediaInput
    private let videoIndex: Int
    private let packet: Packet

    init(input: consuming MediaInput, videoIndex: Int) throws(EncodeError) {
        packet = try Packet()
        self.videoIndex = videoIndex
        self.input = input
    }

    /// Seconds from the file's start of the keyframe at or before `seconds`; nil when the file
    /// cannot seek or the first video packet read after the seek is not a keyframe.
    func keyframe(atOrBefore seconds: Double) -> Double? {
        guard let pts = rawKeyframePts(atOrBefore: seconds) else { return nil }
        let start = av_rescale_q(pts, input.stream(videoIndex).pointee.time_base, av1d_time_base_q()) - fileStart
        return Double(start) / Double(AV_TIME_BASE)
    }

    /// The same keyframe's presentation time in the video stream's time base, on the timeline that
    /// starts at 0 (`SourceTimeline`'s offset, taken the same way), as a decoded picture will carry it.
    func keyframePts(atOrBefore seconds: Double) -> Int64? {
        rawKeyframePts(atOrBefore: seconds).map { $0 + av_rescale_q(-fileStart, av1d_time_base_q(), input.stream(videoIndex).pointee.time_base) }
    }

    private var fileStart: Int64 {
        input.context.pointee.start_time == av1d_nopts_value() ? 0 : input.context.pointee.start_time
    }

    /// The keyframe's own timestamp, as the file stores it.
    private func rawKeyframePts(atOrBefore seconds: Double) -> Int64? {
        let target = fileStart + Int64((seconds * Double(AV_TIME_BASE)).rounded())
        guard avformat_seek_file(input.context, -1, Int64.min, target, target, 0) >= 0 else { return nil }
        while case .packet = input.read(into: packet) {
            defer { packet.unref() }
            guard packet.streamIndex == videoIndex else { continue }
            let pts = packet.pointer.pointee.pts
            guard packet.pointer.pointee.flags & AV_PKT_FLAG_KEY != 0, pts != av1d_nopts_value() else { return nil }
            return pts
        }
        return nil
    }
}
