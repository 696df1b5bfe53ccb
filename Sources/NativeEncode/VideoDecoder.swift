import CFFmpeg

/// A libavcodec video decoder for one input stream. Owns the `AVCodecContext`.
struct VideoDecoder: ~Copyable, @unchecked Sendable {
    let context: UnsafeMutablePointer<AVCodecContext>

    /// What a receive call produced. Needing input and reaching the end are normal states.
    enum Output {
        case frame
        case needsInput
        case endOfStream
    }

    /// - Parameter threads: decoder threads; 0 lets libavcodec pick from the CPUs this thread may use.
    /// - Parameter preferred: a decoder to use by name when present (e.g. "libdav1d").
    init(stream: UnsafeMutablePointer<AVStream>, threads: Int, preferring preferred: String? = nil) throws(EncodeError) {
        let parameters = stream.parameters
        guard let codec = preferred.flatMap({ avcodec_find_decoder_by_name($0) }) ?? avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            throw .unreadableInput("no decoder for video codec \(name)")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avcodec_alloc_context3"))
        }
        do throws(AVFailure) {
            try avCheck(avcodec_parameters_to_context(context, parameters), "avcodec_parameters_to_context")
            // The decoder must know the packets' time base to compute best-effort timestamps.
            context.pointee.pkt_timebase = stream.pointee.time_base
            context.pointee.thread_count = Int32(threads)
            context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            try avCheck(avcodec_open2(context, codec, nil), "opening the \(String(cString: codec.pointee.name)) decoder")
        } catch {
            var doomed: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&doomed)
            throw .library(error)
        }
        self.context = context
    }

    /// Sends one packet. Corrupt packets are reported as a failure the caller may skip past.
    func send(_ packet: borrowing Packet) -> AVFailure? {
        let code = avcodec_send_packet(context, packet.pointer)
        return code < 0 && code != av1d_averror_eagain() ? AVFailure(code: code, operation: "decoding") : nil
    }

    /// Tells the decoder no more packets come, so it releases the frames it holds back.
    func sendEndOfStream() {
        _ = avcodec_send_packet(context, nil)
    }

    func receive(into frame: borrowing Frame) throws(AVFailure) -> Output {
        let code = avcodec_receive_frame(context, frame.pointer)
        if code >= 0 { return .frame }
        if code == av1d_averror_eagain() { return .needsInput }
        if code == av1d_averror_eof() { return .endOfStream }
        throw AVFailure(code: code, operation: "decoding")
    }

    deinit {
        var doomed: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&doomed)
    }
}
