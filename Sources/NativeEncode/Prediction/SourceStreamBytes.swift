import CFFmpeg
import Foundation

/// What the source holds, in bytes: its video (what the samples' bytes are scaled by), and what
/// the output will carry besides its video: the audio and subtitle streams it copies (converts)
/// and the attachments it keeps, all taken over unchanged from the source.
public struct SourceStreamBytes: Sendable {
    /// The source's video packets, counted in one read of the file (a declared video bit rate is
    /// often nominal: MPEG-2's sequence header, a TS).
    var video: Int64 = 0
    /// The video packets' bytes in display order, one per picture: how much of the source a
    /// full encode has covered after its first N pictures (`SizeWatch`).
    var pictures: [Int64] = []
    /// The video's keyframes that mark scene cuts (`SceneCuts`).
    var sceneCuts = 0
    /// The output's streams besides its video.
    var other: Int64 = 0
    /// Streams whose size came from reading their packets (no declared bit rate to trust).
    var counted: [Int] = []

    /// A stream's declared bit rate (its codec parameters, or the `BPS` tag mkvmerge writes)
    /// times the title's duration; the video, and streams that declare no rate, are counted
    /// packet by packet in one read of the file that skips every other stream (it costs I/O
    /// more than CPU).
    public init(path: String, durationSeconds: Double) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let plan = StreamPlan(input, videoIndex: videoIndex)
        let bytesAt = { (rate: Int64, share: Double) in Int64((Double(rate) * share * durationSeconds / 8).rounded()) }
        for (index, action) in plan.actions.enumerated() {
            let stream = input.stream(index)
            switch action {
            case .encodeVideo: counted.append(index)
            case .drop: continue
            case .attach: other += Int64(stream.pointee.attached_pic.size)
            case .copy where stream.parameters.pointee.codec_type == AVMEDIA_TYPE_ATTACHMENT:
                other += Int64(stream.parameters.pointee.extradata_size)
            case .convert(to: .opus(let bitRate)):
                other += bytesAt(Int64(bitRate), 1)
            case .convert(to: .flac):
                // FLAC keeps PCM in about half its size or more; the low end, so that a size
                // estimate that errs, errs towards encoding the title (a skip must be sure).
                if let rate = Self.declaredBitRate(of: stream) { other += bytesAt(rate, 0.4) }
            case .copy, .convert(to: .srt), .convert(to: .floatPCM):
                if let rate = Self.declaredBitRate(of: stream) { other += bytesAt(rate, 1) } else { counted.append(index) }
            }
        }
        for index in 0..<input.streamCount where !counted.contains(index) { input.stream(index).pointee.discard = AVDISCARD_ALL }
        var timed: [(time: Int64, bytes: Int64, isKey: Bool)] = []
        let packet = try Packet()
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                let index = packet.streamIndex
                let bytes = Int64(packet.pointer.pointee.size)
                if index == videoIndex {
                    video += bytes
                    // Packets come in decode order; a packet without a time keeps its place.
                    let pts = packet.pointer.pointee.pts, dts = packet.pointer.pointee.dts
                    let time = pts != av1d_nopts_value() ? pts : dts != av1d_nopts_value() ? dts : timed.last?.time ?? 0
                    timed.append((time, bytes, packet.pointer.pointee.flags & AV_PKT_FLAG_KEY != 0))
                } else if counted.contains(index) {
                    other += bytes
                }
                packet.unref()
            case .endOfFile: break reading
            case .failed(let failure): throw .library(failure)
            }
        }
        // A stable sort: packets with equal times (none given) stay in decode order.
        let ordered = timed.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        pictures = ordered.map(\.bytes)
        let keyframes = ordered.indices.filter { ordered[$0].isKey }
        sceneCuts = SceneCuts.count(keyframes: keyframes, frameRate: durationSeconds > 0 ? Double(ordered.count) / durationSeconds : 0)
    }

    private static func declaredBitRate(of stream: UnsafeMutablePointer<AVStream>) -> Int64? {
        if stream.parameters.pointee.bit_rate > 0 { return stream.parameters.pointee.bit_rate }
        for key in ["BPS", "BPS-eng"] {
            if let entry = av_dict_get(stream.pointee.metadata, key, nil, 0), let value = entry.pointee.value,
               let rate = Int64(String(cString: value)), rate > 0 { return rate }
        }
        return nil
    }
}
