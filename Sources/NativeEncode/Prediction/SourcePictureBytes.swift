import CFFmpeg

/// The source's own bytes for each picture of a segment, in display order: what its encoder
/// spent where the sample's encoder spent its bytes. Where a scene cuts or the picture grows
/// busy, both spend more, which is why the samples are scaled by these bytes and not by time.
struct SourcePictureBytes {
    var sizes: [Int64]

    /// All but the segment's first picture, which the sample encodes as its keyframe.
    var otherPictureBytes: Int64 { sizes.dropFirst().reduce(0, +) }

    init(path: String, segment: Segment) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        for index in 0..<input.streamCount where index != videoIndex { input.stream(index).pointee.discard = AVDISCARD_ALL }
        // The same window as the encode's decode stage: the pictures at or after the start.
        let window = SegmentWindow(segment, input: input, videoIndex: videoIndex)
        window.seek(input)
        // The window counts from the file's start (SourceTimeline); packets carry the file's clock.
        let fileStart = input.context.pointee.start_time == av1d_nopts_value() ? 0 : input.context.pointee.start_time
        let startPts = window.startPts + av_rescale_q(fileStart, av1d_time_base_q(), input.stream(videoIndex).pointee.time_base)
        // Packets come in decode order: read a mini-GOP's worth past the window, then sort.
        let enough = segment.frames + 64
        var pictures: [(pts: Int64, bytes: Int64)] = []
        let packet = try Packet()
        reading: while pictures.count < enough {
            switch input.read(into: packet) {
            case .packet:
                let pts = packet.pointer.pointee.pts
                if packet.streamIndex == videoIndex, pts != av1d_nopts_value(), pts >= startPts {
                    pictures.append((pts, Int64(packet.pointer.pointee.size)))
                }
                packet.unref()
            case .endOfFile: break reading
            case .failed(let failure): throw .library(failure)
            }
        }
        sizes = pictures.sorted { $0.pts < $1.pts }.prefix(segment.frames).map(\.bytes)
    }
}
