import CFFmpeg

/// An opened input file (libavformat demuxer). Owns the `AVFormatContext`.
public struct MediaInput: ~Copyable, @unchecked Sendable {
    let context: UnsafeMutablePointer<AVFormatContext>
    public let path: String

    /// Keeps the flag the interrupt callback reads alive as long as the demuxer.
    private let stop: StopFlag?

    /// - Parameter stop: when raised, libavformat gives up at its next check (between reads,
    ///   in probing and retry loops, in network protocols) with AVERROR_EXIT, reported as `.cancelled`.
    public init(path: String, stop: StopFlag? = nil) throws(EncodeError) {
        guard var opened = avformat_alloc_context() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avformat_alloc_context"))
        }
        if let stop {
            opened.pointee.interrupt_callback = AVIOInterruptCB(
                callback: { flag in
                    guard let flag else { return 0 }
                    return Unmanaged<StopFlag>.fromOpaque(flag).takeUnretainedValue().isRaised ? 1 : 0
                },
                opaque: Unmanaged.passUnretained(stop).toOpaque())
        }
        var handle: UnsafeMutablePointer<AVFormatContext>? = opened
        // On failure avformat_open_input frees the context itself.
        let openCode = avformat_open_input(&handle, path, nil, nil)
        if stop?.isRaised == true, openCode < 0 { throw .cancelled }
        guard openCode >= 0, let handle else {
            throw .unreadableInput(AVFailure.describe(openCode))
        }
        opened = handle
        let infoCode = avformat_find_stream_info(opened, nil)
        if infoCode < 0 {
            var doomed: UnsafeMutablePointer<AVFormatContext>? = opened
            avformat_close_input(&doomed)
            if stop?.isRaised == true { throw .cancelled }
            throw .unreadableInput(AVFailure.describe(infoCode))
        }
        if opened.pointee.nb_streams == 0 {
            var doomed: UnsafeMutablePointer<AVFormatContext>? = opened
            avformat_close_input(&doomed)
            throw .unreadableInput("no streams found")
        }
        self.context = opened
        self.path = path
        self.stop = stop
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    package func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    package enum ReadResult {
        case packet
        case endOfFile
        /// A read error other than end of file; what was read so far is still usable.
        case failed(AVFailure)
    }

    /// Reads the next packet of any stream into `packet` (which must be blank).
    package func read(into packet: borrowing Packet) -> ReadResult {
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
