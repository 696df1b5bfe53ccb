import CFFmpeg
import Foundation

/// What the source holds, in bytes: its video (what the samples' bytes are scaled by), and what
/// the output will carry besides its video: the audio and subtitle streams it copies (converts)
/// and the attachments it keeps, all taken over unchanged from the source.
struct SourceStreamBytes {
    /// The source's video packets, counted in one read of the file (a declared video bit rate is
    /// often nominal: MPEG-2's sequence header, a TS).
    var video: Int64 = 0
    /// The output's streams besides its video.
    var other: Int64 = 0
    /// Streams whose size came from reading their packets (no declared bit rate to trust).
    var counted: [Int] = []

    /// A stream's declared bit rate (its codec parameters, or the `BPS` tag mkvmerge writes)
    /// times the title's duration; the video, and streams that declare no rate, are counted
    /// packet by packet in one read of the file that skips every other stream (it costs I/O
    /// more than CPU).
    init(path: String, durationSeconds: Double) throws(EncodeError) {
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
        let packet = try Packet()
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                let index = packet.streamIndex
                let bytes = Int64(packet.pointer.pointee.size)
                if index == videoIndex { video += bytes } else if counted.contains(index) { other += bytes }
                packet.unref()
            case .endOfFile: break reading
            case .failed(let failure): throw .library(failure)
            }
        }
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
