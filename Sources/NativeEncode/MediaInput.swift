import CFFmpeg

/// An opened input file (libavformat demuxer). Owns the `AVFormatContext`.
public struct MediaInput: ~Copyable, @unchecked Sendable {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String

    public init(path: String) throws(EncodeError) {
        var opened: UnsafeMutablePointer<AVFormatContext>?
        let openCode = avformat_open_input(&opened, path, nil, nil)
        guard openCode >= 0, let opened else {
            throw .unreadableInput(AVFailure.describe(openCode))
        }
        let infoCode = avformat_find_stream_info(opened, nil)
        if infoCode < 0 {
            var doomed: UnsafeMutablePointer<AVFormatContext>? = opened
            avformat_close_input(&doomed)
            throw .unreadableInput(AVFailure.describe(infoCode))
        }
        if opened.pointee.nb_streams == 0 {
            var doomed: UnsafeMutablePointer<AVFormatContext>? = opened
            avformat_close_input(&doomed)
            throw .unreadableInput("no streams found")
        }
        context = opened
        self.path = path
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    enum ReadResult {
        case packet
        case endOfFile
        /// A read error other than end of file; what was read so far is still usable.
        case failed(AVFailure)
    }

    /// Reads the next packet of any stream into `packet` (which must be blank).
    func read(into packet: borrowing Packet) -> ReadResult {
        let code = av_read_frame(context, packet.pointer)
        if code >= 0 { return .packet }
        if code == av1d_averror_eof() { return .endOfFile }
        return .failed(AVFailure(code: code, operation: "reading \(path)"))
    }

    deinit {
        var doomed: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&doomed)
    }
}

extension UnsafeMutablePointer where Pointee == AVStream {
    /// Every stream libavformat creates has codec parameters.
    var parameters: UnsafeMutablePointer<AVCodecParameters> { pointee.codecpar! }
}
