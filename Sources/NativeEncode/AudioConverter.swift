import CFFmpeg

/// Re-encodes one audio stream Matroska cannot hold into FLAC, float PCM or Opus: decode,
/// resample to the encoder's sample format, rate and layout, cut into the encoder's frame size, encode.
/// Packets come out in the source stream's time base with its stream index, like copied ones.
struct AudioConverter: ~Copyable, @unchecked Sendable {
    private let decoder: UnsafeMutablePointer<AVCodecContext>
    private let encoder: UnsafeMutablePointer<AVCodecContext>
    private let samples: SampleQueue
    private var resampler: Resampler?
    private let decoded: Frame
    private let encoded: Packet
    private let sourceTimeBase: AVRational
    private let streamIndex: Int32
    /// Where the next encoder frame starts, in the encoder's time base (1 / sample rate).
    private var nextPts: Int64?
    /// Where the source's last decoded frame ended, in the encoder's time base.
    private var sourceEnd: Int64?

    init(stream: UnsafeMutablePointer<AVStream>, to target: Conversion) throws(EncodeError) {
        let decoded = try Frame()
        let encoded = try Packet()
        let index = Int(stream.pointee.index)
        let name = String(cString: avcodec_get_name(stream.parameters.pointee.codec_id))
        guard let decoderCodec = avcodec_find_decoder(stream.parameters.pointee.codec_id) else {
            throw .unreadableInput("no decoder for \(name) audio stream \(index)")
        }
        let encoderCodec = switch target {
        case .flac: avcodec_find_encoder(AV_CODEC_ID_FLAC)
        case .floatPCM: avcodec_find_encoder(AV_CODEC_ID_PCM_F32LE)
        case .opus: avcodec_find_encoder_by_name("libopus")
        case .srt: nil as UnsafePointer<AVCodec>?
        }
        guard let encoderCodec else { throw .encoder("no \(target) encoder in this FFmpeg build for audio stream \(index)") }
        let decoder = try CodecContext.open(decoderCodec) { (context) throws(AVFailure) in
            try avCheck(avcodec_parameters_to_context(context, stream.parameters), "\(name) audio parameters")
            context.pointee.pkt_timebase = stream.pointee.time_base
        }
        guard decoder.pointee.ch_layout.nb_channels > 0, decoder.pointee.sample_rate > 0 else {
            CodecContext.free(decoder)
            throw .unreadableInput("\(name) audio stream \(index) declares no channel count or sample rate")
        }
        let encoder: UnsafeMutablePointer<AVCodecContext>
        do {
            encoder = try CodecContext.open(encoderCodec) { (context) throws(AVFailure) in
                AudioFormat.choose(for: encoderCodec, target: target, source: decoder).apply(to: context)
                if case .opus(let rate) = target { context.pointee.bit_rate = Int64(rate) }
            }
        } catch {
            CodecContext.free(decoder)
            throw error
        }
        guard let fifo = SampleQueue.fifo(like: encoder) else {
            CodecContext.free(decoder)
            CodecContext.free(encoder)
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_audio_fifo_alloc"))
        }
        samples = SampleQueue(fifo)
        self.decoded = decoded
        self.encoded = encoded
        self.decoder = decoder
        self.encoder = encoder
        sourceTimeBase = stream.pointee.time_base
        streamIndex = stream.pointee.index
    }

    /// Fills the output stream's codec parameters (extradata included) from the encoder.
    func describe(into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        let code = avcodec_parameters_from_context(stream.parameters, encoder)
        if code < 0 { throw .library(AVFailure(code: code, operation: "audio encoder parameters")) }
        stream.pointee.time_base = encoder.pointee.time_base
    }

    /// Converts one source packet; `emit` receives every encoded packet ready so far.
    /// A packet that does not decode costs its few milliseconds of sound, as in any player.
    mutating func convert(_ packet: borrowing Packet, emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        guard avcodec_send_packet(decoder, packet.pointer) >= 0 else { return }
        try takeDecoded(emit: emit)
    }

    /// At the end of the input: everything the decoder, resampler and encoder still hold.
    mutating func finish(emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        _ = avcodec_send_packet(decoder, nil)
        try takeDecoded(emit: emit)
        if let resampler { try samples.append(try resampler.flush()) }
        try encodeQueued(final: true, emit: emit)
        _ = avcodec_send_frame(encoder, nil)
        try takeEncoded(emit: emit)
    }

    private mutating func takeDecoded(emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        // Bounded: a decoder that keeps failing gives up this packet's sound rather than spin.
        var failures = 0
        while failures < 8 {
            let code = avcodec_receive_frame(decoder, decoded.pointer)
            if code == av1d_averror_eagain() || code == av1d_averror_eof() { return }
            if code < 0 { failures += 1; continue }
            defer { av_frame_unref(decoded.pointer) }
            let picture = decoded.pointer.pointee
            var silence = gapBefore(pts: picture.best_effort_timestamp, samples: picture.nb_samples, rate: picture.sample_rate)
            while silence > 0 {
                // A second at a time: a long outage must not pile up in memory.
                let piece = min(silence, Int64(encoder.pointee.sample_rate))
                try samples.appendSilence(Int(piece), like: encoder)
                try encodeQueued(final: false, emit: emit)
                silence -= piece
            }
            if resampler?.accepts(decoded) != true { resampler = try Resampler(from: decoded, to: encoder) }
            try samples.append(try resampler!.convert(decoded))
            try encodeQueued(final: false, emit: emit)
        }
    }

    /// The output is one continuous run of samples from the first frame's time. A gap in the
    /// source's sound longer than 0.1 s (a broadcast losing signal; libswresample's default
    /// `min_hard_comp`) becomes that much silence, so the sound after it stays with the picture.
    /// Returns the samples of silence (in the encoder's rate) due before this frame.
    private mutating func gapBefore(pts: Int64, samples count: Int32, rate: Int32) -> Int64 {
        let timeBase = encoder.pointee.time_base
        let start = pts == av1d_nopts_value() ? nil : av_rescale_q(pts, sourceTimeBase, timeBase)
        defer { sourceEnd = (start ?? sourceEnd ?? 0) + av_rescale_q(Int64(count), AVRational(num: 1, den: rate), timeBase) }
        guard nextPts != nil else { nextPts = start ?? 0; return 0 }
        guard let start, let sourceEnd, start - sourceEnd > Int64(encoder.pointee.sample_rate / 10) else { return 0 }
        return start - sourceEnd
    }

    /// Sends whole encoder frames from the queue; at the end also the shorter last one.
    private mutating func encodeQueued(final: Bool, emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        let frameSize = encoder.pointee.frame_size > 0 ? Int(encoder.pointee.frame_size) : 4096
        while samples.count >= frameSize || (final && samples.count > 0) {
            let frame = try samples.take(min(frameSize, samples.count), like: encoder)
            frame.pointer.pointee.pts = nextPts ?? 0
            nextPts = (nextPts ?? 0) + Int64(frame.pointer.pointee.nb_samples)
            let code = avcodec_send_frame(encoder, frame.pointer)
            if code < 0 { throw .library(AVFailure(code: code, operation: "encoding audio stream \(streamIndex)")) }
            try takeEncoded(emit: emit)
        }
    }

    private func takeEncoded(emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        while true {
            let code = avcodec_receive_packet(encoder, encoded.pointer)
            if code == av1d_averror_eagain() || code == av1d_averror_eof() { return }
            if code < 0 { throw .library(AVFailure(code: code, operation: "encoding audio stream \(streamIndex)")) }
            let packet = try Packet(movingFrom: encoded)
            av_packet_rescale_ts(packet.pointer, encoder.pointee.time_base, sourceTimeBase)
            packet.pointer.pointee.stream_index = streamIndex
            try emit(packet)
        }
    }

    deinit {
        CodecContext.free(decoder)
        CodecContext.free(encoder)
    }
}

/// Opening and freeing an `AVCodecContext`, so each owner does not repeat the error paths.
enum CodecContext {
    static func open(_ codec: UnsafePointer<AVCodec>,
                     configure: (UnsafeMutablePointer<AVCodecContext>) throws(AVFailure) -> Void) throws(EncodeError) -> UnsafeMutablePointer<AVCodecContext> {
        guard let context = avcodec_alloc_context3(codec) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "avcodec_alloc_context3"))
        }
        do throws(AVFailure) {
            try configure(context)
            try avCheck(avcodec_open2(context, codec, nil), "opening the \(String(cString: codec.pointee.name)) codec")
        } catch {
            free(context)
            throw .library(error)
        }
        return context
    }

    static func free(_ context: UnsafeMutablePointer<AVCodecContext>) {
        var doomed: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&doomed)
    }
}

/// The encoder's input format, chosen from what it accepts and what the source is.
struct AudioFormat {
    var sampleFormat: AVSampleFormat
    var bitsPerRawSample: Int32
    var sampleRate: Int32
    var layout: AVChannelLayout

    static func choose(for codec: UnsafePointer<AVCodec>, target: Conversion,
                       source: UnsafeMutablePointer<AVCodecContext>) -> AudioFormat {
        let bits = source.pointee.bits_per_raw_sample > 0 ? source.pointee.bits_per_raw_sample
            : Int32(av_get_bytes_per_sample(source.pointee.sample_fmt) * 8)
        // FLAC keeps every bit (24 at most in FFmpeg 5.1), 24 when the depth is not known yet;
        // Opus works in floats.
        let (format, rawBits): (AVSampleFormat, Int32) = switch target {
        case .flac: bits > 0 && bits <= 16 ? (AV_SAMPLE_FMT_S16, 16) : (AV_SAMPLE_FMT_S32, bits > 0 ? min(bits, 24) : 24)
        default: (AV_SAMPLE_FMT_FLT, 0)
        }
        return AudioFormat(sampleFormat: format, bitsPerRawSample: rawBits,
                           sampleRate: rate(for: codec, source: source.pointee.sample_rate),
                           layout: layout(for: codec, source: source.pointee.ch_layout))
    }

    /// The source's rate when the encoder takes it (FLAC takes any), else the next one up
    /// among the encoder's (Opus: 8, 12, 16, 24, 48 kHz), else its highest.
    static func rate(for codec: UnsafePointer<AVCodec>, source: Int32) -> Int32 {
        guard let list = codec.pointee.supported_samplerates else { return source }
        var rates: [Int32] = []
        var cursor = list
        while cursor.pointee != 0 { rates.append(cursor.pointee); cursor += 1 }
        if rates.contains(source) { return source }
        return rates.filter { $0 > source }.min() ?? rates.max() ?? source
    }

    /// The source's layout when the encoder lists it, else the encoder's first layout with the
    /// same channel count (Opus wants Vorbis order), else FFmpeg's default for the count.
    static func layout(for codec: UnsafePointer<AVCodec>, source: AVChannelLayout) -> AVChannelLayout {
        var wanted = source
        if wanted.order != AV_CHANNEL_ORDER_NATIVE {
            wanted = AVChannelLayout()
            av_channel_layout_default(&wanted, source.nb_channels)
        }
        guard var cursor = codec.pointee.ch_layouts else { return wanted }
        var sameCount: AVChannelLayout?
        while cursor.pointee.nb_channels != 0 {
            var candidate = cursor.pointee
            if av_channel_layout_compare(&candidate, &wanted) == 0 { return candidate }
            if sameCount == nil && candidate.nb_channels == wanted.nb_channels { sameCount = candidate }
            cursor += 1
        }
        return sameCount ?? wanted
    }

    func apply(to context: UnsafeMutablePointer<AVCodecContext>) {
        context.pointee.sample_fmt = sampleFormat
        context.pointee.bits_per_raw_sample = bitsPerRawSample
        context.pointee.sample_rate = sampleRate
        context.pointee.time_base = AVRational(num: 1, den: sampleRate)
        var layout = self.layout
        av_channel_layout_copy(&context.pointee.ch_layout, &layout)
    }
}

/// libswresample between the decoder's frames and the encoder's format. Owns the `SwrContext`.
final class Resampler {
    private var context: OpaquePointer?
    private let input: (format: Int32, rate: Int32, channels: Int32)
    private let output: (format: AVSampleFormat, rate: Int32, layout: AVChannelLayout)

    init(from frame: borrowing Frame, to encoder: UnsafeMutablePointer<AVCodecContext>) throws(EncodeError) {
        let picture = frame.pointer.pointee
        input = (picture.format, picture.sample_rate, picture.ch_layout.nb_channels)
        output = (encoder.pointee.sample_fmt, encoder.pointee.sample_rate, encoder.pointee.ch_layout)
        var inLayout = picture.ch_layout
        if inLayout.order != AV_CHANNEL_ORDER_NATIVE {
            inLayout = AVChannelLayout()
            av_channel_layout_default(&inLayout, picture.ch_layout.nb_channels)
        }
        var outLayout = encoder.pointee.ch_layout
        var code = swr_alloc_set_opts2(&context, &outLayout, output.format, output.rate,
                                       &inLayout, AVSampleFormat(rawValue: picture.format), picture.sample_rate, 0, nil)
        if code >= 0 { code = swr_init(context) }
        if code < 0 {
            swr_free(&context)
            throw .library(AVFailure(code: code, operation: "setting up audio resampling"))
        }
    }

    /// Whether a frame has the format this resampler was made for (TS audio can change mid-stream).
    func accepts(_ frame: borrowing Frame) -> Bool {
        let picture = frame.pointer.pointee
        return (picture.format, picture.sample_rate, picture.ch_layout.nb_channels) == input
    }

    func convert(_ frame: borrowing Frame) throws(EncodeError) -> Frame {
        try run(frame.pointer.pointee.extended_data, count: frame.pointer.pointee.nb_samples)
    }

    /// The samples the resampler still holds back (rate conversion looks ahead).
    func flush() throws(EncodeError) -> Frame { try run(nil, count: 0) }

    private func run(_ data: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, count: Int32) throws(EncodeError) -> Frame {
        let result = try Frame()
        let capacity = swr_get_out_samples(context, count)
        result.pointer.pointee.format = output.format.rawValue
        result.pointer.pointee.sample_rate = output.rate
        var layout = output.layout
        av_channel_layout_copy(&result.pointer.pointee.ch_layout, &layout)
        result.pointer.pointee.nb_samples = max(capacity, 1)
        var code = av_frame_get_buffer(result.pointer, 0)
        if code >= 0 {
            let source = UnsafeMutableRawPointer(data)?.assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
            code = swr_convert(context, result.pointer.pointee.extended_data, max(capacity, 1), source, count)
        }
        if code < 0 { throw .library(AVFailure(code: code, operation: "resampling audio")) }
        result.pointer.pointee.nb_samples = code
        return result
    }

    deinit { swr_free(&context) }
}

/// Samples waiting for a whole encoder frame (`AVAudioFifo`).
struct SampleQueue: ~Copyable {
    private let fifo: OpaquePointer

    /// A FIFO in the encoder's sample format and channel count.
    static func fifo(like encoder: UnsafeMutablePointer<AVCodecContext>) -> OpaquePointer? {
        av_audio_fifo_alloc(encoder.pointee.sample_fmt, encoder.pointee.ch_layout.nb_channels, max(encoder.pointee.frame_size, 1024))
    }

    init(_ fifo: OpaquePointer) { self.fifo = fifo }

    var count: Int { Int(av_audio_fifo_size(fifo)) }

    func append(_ frame: consuming Frame) throws(EncodeError) {
        let samples = frame.pointer.pointee.nb_samples
        guard samples > 0 else { return }
        let data = UnsafeMutableRawPointer(frame.pointer.pointee.extended_data).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let code = av_audio_fifo_write(fifo, data, samples)
        if code < 0 { throw .library(AVFailure(code: code, operation: "queueing audio samples")) }
    }

    /// `count` samples of silence at the back of the queue.
    func appendSilence(_ count: Int, like encoder: UnsafeMutablePointer<AVCodecContext>) throws(EncodeError) {
        let silence = try Self.blankFrame(count, like: encoder)
        av_samples_set_silence(silence.pointer.pointee.extended_data, 0, Int32(count),
                               encoder.pointee.ch_layout.nb_channels, encoder.pointee.sample_fmt)
        try append(silence)
    }

    /// A frame of `samples` samples in the encoder's format, taken from the front of the queue.
    func take(_ samples: Int, like encoder: UnsafeMutablePointer<AVCodecContext>) throws(EncodeError) -> Frame {
        let frame = try Self.blankFrame(samples, like: encoder)
        let data = UnsafeMutableRawPointer(frame.pointer.pointee.extended_data).assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let code = av_audio_fifo_read(fifo, data, Int32(samples))
        if code < 0 { throw .library(AVFailure(code: code, operation: "reading queued audio samples")) }
        return frame
    }

    /// A frame with room for `samples` samples in the encoder's format.
    private static func blankFrame(_ samples: Int, like encoder: UnsafeMutablePointer<AVCodecContext>) throws(EncodeError) -> Frame {
        let frame = try Frame()
        frame.pointer.pointee.format = encoder.pointee.sample_fmt.rawValue
        frame.pointer.pointee.sample_rate = encoder.pointee.sample_rate
        av_channel_layout_copy(&frame.pointer.pointee.ch_layout, &encoder.pointee.ch_layout)
        frame.pointer.pointee.nb_samples = Int32(samples)
        let code = av_frame_get_buffer(frame.pointer, 0)
        if code < 0 { throw .library(AVFailure(code: code, operation: "allocating an audio frame")) }
        return frame
    }

    deinit { av_audio_fifo_free(fifo) }
}
