import CFFmpeg
import Foundation

/// A Matroska file being written by libavformat. Owns the `AVFormatContext` and its `AVIOContext`.
struct MatroskaOutput: ~Copyable {
    let context: UnsafeMutablePointer<AVFormatContext>
    let path: String
    private(set) var headerWritten = false
    /// The file's size once closed: the last progress report must not read 0.
    private var closedSize: Int64 = 0

    init(path: String) throws(EncodeError) {
        var created: UnsafeMutablePointer<AVFormatContext>?
        let code = avformat_alloc_output_context2(&created, nil, "matroska", path)
        guard code >= 0, let created else {
            throw .library(AVFailure(code: code, operation: "creating the Matroska muxer"))
        }
        let openCode = avio_open(&created.pointee.pb, path, AVIO_FLAG_WRITE)
        if openCode < 0 {
            avformat_free_context(created)
            throw .library(AVFailure(code: openCode, operation: "cannot create \(path)"))
        }
        context = created
        self.path = path
    }

    func addStream() throws(EncodeError) -> UnsafeMutablePointer<AVStream> {
        guard let stream = avformat_new_stream(context, nil) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avformat_new_stream"))
        }
        return stream
    }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[index]! }

    mutating func writeHeader() throws(EncodeError) {
        let code = avformat_write_header(context, nil)
        if code < 0 { throw .library(AVFailure(code: code, operation: "writing the Matroska header")) }
        headerWritten = true
    }

    /// Writes `packet` to output stream `index`, its timestamps given in `timeBase`.
    /// The stream's own time base is read now: the muxer may change it in `writeHeader`.
    func write(_ packet: borrowing Packet, toStream index: Int, timeBase: AVRational) throws(EncodeError) {
        packet.pointer.pointee.stream_index = Int32(index)
        packet.pointer.pointee.pos = -1
        av_packet_rescale_ts(packet.pointer, timeBase, stream(index).pointee.time_base)
        let code = av_interleaved_write_frame(context, packet.pointer)
        if code < 0 { throw .library(AVFailure(code: code, operation: "writing a packet")) }
    }

    /// Bytes written so far (the muxer hands over a cluster, about 5 s of video, at a time);
    /// after `finish`, the file's size.
    var bytesWritten: Int64 { context.pointee.pb.map { avio_tell($0) } ?? closedSize }

    /// Writes the trailer (cues, durations) and closes the file; it still needs a sync to be durable.
    mutating func finish() throws(EncodeError) {
        let code = av_write_trailer(context)
        if code < 0 { throw .library(AVFailure(code: code, operation: "writing the Matroska trailer")) }
        if let pb = context.pointee.pb {
            // The trailer seeks back to fill in the header, so the position is not the size.
            avio_flush(pb)
            closedSize = max(avio_size(pb), 0)
        }
        let closeCode = avio_closep(&context.pointee.pb)
        if closeCode < 0 { throw .library(AVFailure(code: closeCode, operation: "closing \(path)")) }
    }

    deinit {
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
        avformat_free_context(context)
    }
}
