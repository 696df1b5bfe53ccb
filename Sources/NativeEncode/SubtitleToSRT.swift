import CFFmpeg

/// Converts a subtitle stream Matroska cannot hold (MP4 `mov_text`) to SubRip, cue by cue:
/// decode to libavcodec's text form, encode as SRT. Owns both codec contexts.
struct SubtitleToSRT: ~Copyable, @unchecked Sendable {
    private let decoder: UnsafeMutablePointer<AVCodecContext>
    private let encoder: UnsafeMutablePointer<AVCodecContext>

    init(stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        guard let decoderCodec = avcodec_find_decoder(stream.parameters.pointee.codec_id),
              let encoderCodec = avcodec_find_encoder(AV_CODEC_ID_SUBRIP),
              let decoder = avcodec_alloc_context3(decoderCodec) else {
            throw .unreadableInput("no subtitle decoder for stream \(stream.pointee.index)")
        }
        guard let encoder = avcodec_alloc_context3(encoderCodec) else {
            var doomed: UnsafeMutablePointer<AVCodecContext>? = decoder
            avcodec_free_context(&doomed)
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avcodec_alloc_context3"))
        }
        do throws(AVFailure) {
            try avCheck(avcodec_parameters_to_context(decoder, stream.parameters), "subtitle parameters")
            decoder.pointee.pkt_timebase = stream.pointee.time_base
            try avCheck(avcodec_open2(decoder, decoderCodec, nil), "opening the subtitle decoder")
            // The SRT encoder parses the decoder's ASS header to understand the cues.
            if let header = decoder.pointee.subtitle_header, decoder.pointee.subtitle_header_size > 0 {
                let size = Int(decoder.pointee.subtitle_header_size)
                let copy = av_mallocz(size + 1)!.assumingMemoryBound(to: UInt8.self)
                copy.update(from: header, count: size)
                encoder.pointee.subtitle_header = copy
                encoder.pointee.subtitle_header_size = Int32(size)
            }
            encoder.pointee.time_base = stream.pointee.time_base
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
        converted.pointer.pointee.pts = packet.pointer.pointee.pts
        converted.pointer.pointee.dts = packet.pointer.pointee.pts
        converted.pointer.pointee.duration = packet.pointer.pointee.duration
        converted.pointer.pointee.stream_index = packet.pointer.pointee.stream_index
        return converted
    }

    deinit {
        var d: UnsafeMutablePointer<AVCodecContext>? = decoder, e: UnsafeMutablePointer<AVCodecContext>? = encoder
        avcodec_free_context(&d)
        avcodec_free_context(&e)
    }
}
