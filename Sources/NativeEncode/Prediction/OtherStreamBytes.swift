import CFFmpeg
import Foundation

/// The bytes the output will carry besides its video: the audio and subtitle streams it copies
/// (converts) and the attachments it keeps, all taken over unchanged from the source.
struct OtherStreamBytes {
    var bytes: Int64 = 0
    /// Streams whose size came from reading their packets (no declared bit rate).
    var counted: [Int] = []

    /// A stream's declared bit rate (its codec parameters, or the `BPS` tag mkvmerge writes)
    /// times the title's duration; streams that declare none are counted packet by packet in
    /// one read of the file that skips every other stream.
    init(path: String, durationSeconds: Double) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let plan = StreamPlan(input, videoIndex: videoIndex)
        for (index, action) in plan.actions.enumerated() {
            let stream = input.stream(index)
            switch action {
            case .encodeVideo, .drop: continue
            case .attach: bytes += Int64(stream.pointee.attached_pic.size)
            case .copy where stream.parameters.pointee.codec_type == AVMEDIA_TYPE_ATTACHMENT:
                bytes += Int64(stream.parameters.pointee.extradata_size)
            case .convert(to: .opus(let bitRate)):
                bytes += Int64((Double(bitRate) * durationSeconds / 8).rounded())
            case .convert(to: .flac):
                // FLAC keeps PCM in about half its size or more; the low end, so that a size
                // estimate that errs, errs towards encoding the title (a skip must be sure).
                if let rate = Self.declaredBitRate(of: stream) {
                    bytes += Int64((Double(rate) * 0.4 * durationSeconds / 8).rounded())
                }
            case .copy, .convert(to: .srt), .convert(to: .floatPCM):
                if let rate = Self.declaredBitRate(of: stream) {
                    bytes += Int64((Double(rate) * durationSeconds / 8).rounded())
                } else {
                    counted.append(index)
                }
            }
        }
        guard !counted.isEmpty else { return }
        for index in 0..<input.streamCount where !counted.contains(index) { input.stream(index).pointee.discard = AVDISCARD_ALL }
        let packet = try Packet()
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                if counted.contains(packet.streamIndex) { bytes += Int64(packet.pointer.pointee.size) }
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
