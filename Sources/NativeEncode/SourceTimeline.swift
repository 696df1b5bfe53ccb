import CFFmpeg

/// Puts every packet read on one clean timeline, as the ffmpeg CLI does without `-copyts`:
/// the file's start time is subtracted from all streams alike (a broadcast recording whose
/// clock reads 26,000 s starts at 0, the offsets between its streams kept), and in formats whose
/// timestamps may jump (MPEG-TS: files joined with `cat`, a clock reset), a jump of a video or
/// audio stream is taken out by offsetting everything after it, with ffmpeg's rule.
struct SourceTimeline {
    /// A jump taken out: where (output seconds) and by how much the source clock moved.
    struct Jump: Sendable, Equatable {
        var atSeconds: Double
        var bySeconds: Double
    }

    /// ffmpeg's `-dts_delta_threshold` default: larger jumps of a TS clock are discontinuities.
    static let jumpThreshold: Int64 = 10 * Int64(AV_TIME_BASE)
    /// ffmpeg also treats any step back of more than 0.1 s as a discontinuity.
    static let stepBackTolerance: Int64 = Int64(AV_TIME_BASE) / 10

    private let timeBases: [AVRational]
    /// Only video and audio clocks decide jumps (subtitles may legitimately pause for long).
    private let clocks: Set<Int>
    private let mayJump: Bool
    /// The video stream and its nominal frame duration, for packets that carry none.
    private let videoStream: (index: Int, duration: Int64)
    /// Added to every timestamp, in `AV_TIME_BASE` units.
    private var offset: Int64
    /// Per stream, in `AV_TIME_BASE` units on the output timeline: where the next packet should be,
    /// and the last decode time seen.
    private var expected: [Int: Int64] = [:]
    private var last: [Int: Int64] = [:]
    /// The last decode time of any stream, for a stream's first packet after a jump.
    private var lastOfFile: Int64?
    private(set) var jumps: [Jump] = []

    init(_ input: borrowing MediaInput, nominalVideoDuration: (index: Int, duration: Int64)) {
        let context = input.context.pointee
        timeBases = (0..<input.streamCount).map { input.stream($0).pointee.time_base }
        clocks = Set((0..<input.streamCount).filter {
            [AVMEDIA_TYPE_VIDEO, AVMEDIA_TYPE_AUDIO].contains(input.stream($0).parameters.pointee.codec_type)
        })
        mayJump = context.iformat.map { $0.pointee.flags & AVFMT_TS_DISCONT != 0 } ?? false
        offset = context.start_time == av1d_nopts_value() ? 0 : -context.start_time
        videoStream = nominalVideoDuration
    }


    /// Moves one packet's timestamps onto the output timeline.
    mutating func place(_ packet: borrowing Packet) {
        let raw = packet.pointer
        let index = packet.streamIndex
        guard index < timeBases.count else { return }
        let timeBase = timeBases[index]
        let dts = raw.pointee.dts
        if dts != av1d_nopts_value(), clocks.contains(index) {
            let placed = av_rescale_q(dts, timeBase, av1d_time_base_q()) + offset
            if mayJump, let jump = jump(of: index, at: placed) {
                offset -= jump
                jumps.append(Jump(atSeconds: Double(placed - jump) / Double(AV_TIME_BASE),
                                  bySeconds: Double(jump) / Double(AV_TIME_BASE)))
            }
        }
        let shift = av_rescale_q(offset, av1d_time_base_q(), timeBase)
        if raw.pointee.pts != av1d_nopts_value() { raw.pointee.pts += shift }
        if raw.pointee.dts != av1d_nopts_value() { raw.pointee.dts += shift }
        guard raw.pointee.dts != av1d_nopts_value(), clocks.contains(index) else { return }
        let placed = av_rescale_q(raw.pointee.dts, timeBase, av1d_time_base_q())
        let duration = raw.pointee.duration > 0 ? raw.pointee.duration : (index == videoStream.index ? videoStream.duration : 0)
        last[index] = placed
        expected[index] = placed + av_rescale_q(duration, timeBase, av1d_time_base_q())
        lastOfFile = placed
    }

    /// How far this stream's clock jumped at `placed`, if that is a discontinuity (ffmpeg's test).
    private func jump(of index: Int, at placed: Int64) -> Int64? {
        if let next = expected[index] {
            let delta = placed - next
            let jumped = abs(delta) > Self.jumpThreshold || placed + Self.stepBackTolerance < (last[index] ?? placed)
            return jumped ? delta : nil
        }
        // A stream's first packet far from where the file is: the jump happened before it.
        if let lastOfFile, abs(placed - lastOfFile) > Self.jumpThreshold { return placed - lastOfFile }
        return nil
    }
}
