import CFFmpeg

/// Converts a subtitle stream Matroska cannot hold (MP4 `mov_text`), or the closed captions
/// inside a video (CEA-608 pairs, `AV_FRAME_DATA_A53_CC`), to SubRip, cue by cue: decode to
/// libavcodec's text form, encode as SRT. Owns both codec contexts.
struct SubtitleToSRT: ~Copyable, @unchecked Sendable {
    private let decoder: UnsafeMutablePointer<AVCodecContext>
    private let encoder: UnsafeMutablePointer<AVCodecContext>
    /// Where a cue's time comes from: the packet (a subtitle stream's packets are cues), or the
    /// decoded cue itself (captions arrive with every picture; the decoder decides when a cue starts and ends).
    private let timedByCue: Bool

    init(stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        try self.init(codec: stream.parameters.pointee.codec_id, parameters: stream.parameters,
                      timeBase: stream.pointee.time_base, timedByCue: false)
    }

    /// For the closed captions carried in the pictures of a video stream with this time base.
    init(captionsIn timeBase: AVRational) throws(EncodeError) {
        try self.init(codec: AV_CODEC_ID_EIA_608, parameters: nil, timeBase: timeBase, timedByCue: true)
    }

    private init(codec: AVCodecID, parameters: UnsafeMutablePointer<AVCodecParameters>?, timeBase: AVRational,
                 timedByCue: Bool) throws(EncodeError) {
        self.timedByCue = timedByCue
        guard let decoderCodec = avcodec_find_decoder(codec),
              let encoderCodec = avcodec_find_encoder(AV_CODEC_ID_SUBRIP),
              let decoder = avcodec_alloc_context3(decoderCodec) else {
            throw .unreadableInput("no decoder for \(String(cString: avcodec_get_name(codec))) subtitles")
        }
        guard let encoder = avcodec_alloc_context3(encoderCodec) else {
            var doomed: UnsafeMutablePointer<AVCodecContext>? = decoder
            avcodec_free_context(&doomed)
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avcodec_alloc_context3"))
        }
        do throws(AVFailure) {
            if let parameters { try avCheck(avcodec_parameters_to_context(decoder, parameters), "subtitle parameters") }
            decoder.pointee.pkt_timebase = timeBase
            try avCheck(avcodec_open2(decoder, decoderCodec, nil), "opening the subtitle decoder")
            // The SRT encoder parses the decoder's ASS header to understand the cues.
            if let header = decoder.pointee.subtitle_header, decoder.pointee.subtitle_header_size > 0 {
                let size = Int(decoder.pointee.subtitle_header_size)
                let copy = av_mallocz(size + 1)!.assumingMemoryBound(to: UInt8.self)
                copy.update(from: header, count: size)
                encoder.pointee.subtitle_header = copy
                encoder.pointee.subtitle_header_size = Int32(size)
            }
            encoder.pointee.time_base = timeBase
            try avCheck(avcodec_open2(encoder, encoderCodec, nil), "opening the SRT encoder")
        } catch {
            var d: UnsafeMutablePointer<AVCodecContext>? = decoder, e: UnsafeMutablePointer<AVCodecContext>? = encoder
            avcodec_free_context(&d)
            avcodec_free_context(&e)
            throw .library(error)
        }
        self.decoder = decoder
        self.encoder = encoder
    }

    /// Fills the output stream's codec parameters from the SRT encoder.
    func describe(into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        let code = avcodec_parameters_from_context(stream.parameters, encoder)
        if code < 0 { throw .library(AVFailure(code: code, operation: "SRT parameters")) }
    }

    /// The SRT packet for one source cue, or nil for an empty cue (MP4 uses those for gaps).
    func convert(_ packet: borrowing Packet) throws(EncodeError) -> Packet? {
        var subtitle = AVSubtitle()
        var gotSubtitle: Int32 = 0
        let code = avcodec_decode_subtitle2(decoder, &subtitle, &gotSubtitle, packet.pointer)
        guard code >= 0, gotSubtitle != 0 else { return nil }
        defer { avsubtitle_free(&subtitle) }
        guard subtitle.num_rects > 0 else { return nil }
        let converted = try Packet(size: 64 * 1024)
        let size = avcodec_encode_subtitle(encoder, converted.pointer.pointee.data, converted.pointer.pointee.size, &subtitle)
        guard size > 0 else { return nil }
        av_shrink_packet(converted.pointer, size)
        if timedByCue {
            let timeBase = encoder.pointee.time_base
            converted.pointer.pointee.pts = av_rescale_q(subtitle.pts, av1d_time_base_q(), timeBase)
            converted.pointer.pointee.duration = av_rescale_q(Int64(subtitle.end_display_time), AVRational(num: 1, den: 1000), timeBase)
        } else {
            converted.pointer.pointee.pts = packet.pointer.pointee.pts
            converted.pointer.pointee.duration = packet.pointer.pointee.duration
        }
        converted.pointer.pointee.dts = converted.pointer.pointee.pts
        converted.pointer.pointee.stream_index = packet.pointer.pointee.stream_index
        return converted
    }

    deinit {
        var d: UnsafeMutablePointer<AVCodecContext>? = decoder, e: UnsafeMutablePointer<AVCodecContext>? = encoder
        avcodec_free_context(&d)
        avcodec_free_context(&e)
    }
}
