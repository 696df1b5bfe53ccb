import CFFmpeg

/// The encode thread's side of the output: writes copied packets and encoded video into the
/// Matroska file, holding copied packets back until the header can be written (the header
/// needs the encoder's sequence header, which exists only once the first picture is known).
struct MuxSession: ~Copyable {
    private var muxer: MatroskaOutput
    private var mapping: [Int: Int]
    private var inputTimeBases: [AVRational]
    let videoInputIndex: Int
    private var held: [UnsafeMutablePointer<AVPacket>] = []
    /// Source timing of each picture sent to the encoder, by the index it was sent with.
    private var timings: [Int64: (pts: Int64, duration: Int64)] = [:]
    private(set) var framesEncoded = 0
    private(set) var video = EncodedVideoBytes()
    private var firstPts: Int64?
    private var endPts: Int64 = 0
    var meter: ProgressMeter

    init(muxer: consuming MatroskaOutput, mapping: [Int: Int], inputTimeBases: [AVRational], videoInputIndex: Int,
         meter: ProgressMeter) {
        self.muxer = muxer
        self.mapping = mapping
        self.inputTimeBases = inputTimeBases
        captionIndex = inputTimeBases.count
        self.videoInputIndex = videoInputIndex
        self.meter = meter
    }

    var videoTimeBase: AVRational { inputTimeBases[videoInputIndex] }
    /// Whether the output has a subtitle track of the closed captions found in the pictures.
    var hasCaptionTrack: Bool { mapping[captionIndex] != nil }
    /// The input index extracted captions arrive under: one past the file's streams.
    private let captionIndex: Int
    var outputBytes: Int64 { muxer.bytesWritten }
    var durationSeconds: Double { Double(endPts - (firstPts ?? 0)) * av_q2d(videoTimeBase) }

    /// Describes the AV1 stream and writes the header, then everything held back.
    mutating func start(sequenceHeader: [UInt8], first: borrowing Frame, source: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        let stream = muxer.stream(mapping[videoInputIndex]!)
        let parameters = stream.parameters
        let picture = first.pointer.pointee
        parameters.pointee.codec_type = AVMEDIA_TYPE_VIDEO
        parameters.pointee.codec_id = AV_CODEC_ID_AV1
        parameters.pointee.width = picture.width
        parameters.pointee.height = picture.height
        parameters.pointee.format = picture.format
        parameters.pointee.color_primaries = picture.color_primaries
        parameters.pointee.color_trc = picture.color_trc
        parameters.pointee.color_space = picture.colorspace
        parameters.pointee.color_range = picture.color_range
        parameters.pointee.chroma_location = picture.chroma_location
        // Pictures still flagged interlaced (deinterlace "off") keep their field order: both
        // fields are in each picture, lines interleaved, the top one shown first or second.
        parameters.pointee.field_order = picture.interlaced_frame == 0 ? AV_FIELD_PROGRESSIVE
            : picture.top_field_first != 0 ? AV_FIELD_TT : AV_FIELD_BB
        // The display size comes from the pixel aspect ratio (the container's, else the
        // bitstream's: `PictureFilter` set it): anamorphic sources stay anamorphic.
        let aspect = picture.sample_aspect_ratio.num > 0 ? picture.sample_aspect_ratio : AVRational(num: 1, den: 1)
        parameters.pointee.sample_aspect_ratio = aspect
        stream.pointee.sample_aspect_ratio = aspect
        stream.pointee.avg_frame_rate = source.pointee.avg_frame_rate
        stream.pointee.r_frame_rate = source.pointee.r_frame_rate
        guard let extradata = av_mallocz(sequenceHeader.count + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "sequence header copy"))
        }
        extradata.copyMemory(from: sequenceHeader, byteCount: sequenceHeader.count)
        parameters.pointee.extradata = extradata.assumingMemoryBound(to: UInt8.self)
        parameters.pointee.extradata_size = Int32(sequenceHeader.count)
        HDRMetadata.attach(from: first, source: source, to: stream)
        if first.sideData(AV_FRAME_DATA_A53_CC) != nil { try addCaptionTrack() }

        try muxer.writeHeader()
        let waiting = held
        held = []
        for (offset, raw) in waiting.enumerated() {
            let packet = try Packet()
            av_packet_move_ref(packet.pointer, raw)
            var doomed: UnsafeMutablePointer<AVPacket>? = raw
            av_packet_free(&doomed)
            do { try writeCopied(packet) } catch {
                for rest in waiting.dropFirst(offset + 1) { var d: UnsafeMutablePointer<AVPacket>? = rest; av_packet_free(&d) }
                throw error
            }
        }
    }

    /// Closed captions in the first picture (broadcasts carry them in every picture) get an SRT
    /// track of their own; captions that start later have none, and the summary says they are lost.
    private mutating func addCaptionTrack() throws(EncodeError) {
        let stream = try muxer.addStream()
        stream.parameters.pointee.codec_type = AVMEDIA_TYPE_SUBTITLE
        stream.parameters.pointee.codec_id = AV_CODEC_ID_SUBRIP
        stream.pointee.time_base = videoTimeBase
        av_dict_set(&stream.pointee.metadata, "title", "Closed captions (CC1)", 0)
        mapping[captionIndex] = Int(muxer.context.pointee.nb_streams) - 1
        inputTimeBases.append(videoTimeBase)
    }

    /// A packet of a copied or converted stream (input stream index, input time base).
    mutating func passthrough(_ packet: consuming Packet) throws(EncodeError) {
        if muxer.headerWritten { return try writeCopied(packet) }
        guard let raw = av_packet_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_packet_alloc"))
        }
        av_packet_move_ref(raw, packet.pointer)
        held.append(raw)
    }

    private func writeCopied(_ packet: borrowing Packet) throws(EncodeError) {
        let input = packet.streamIndex
        guard let output = mapping[input] else { return }
        try muxer.write(packet, toStream: output, timeBase: inputTimeBases[input])
    }

    /// Remembers a picture's source timing under the index it is sent to the encoder with.
    mutating func willEncode(index: Int64, pts: Int64, duration: Int64) {
        timings[index] = (pts, duration)
    }

    /// Writes one encoded temporal unit with its source picture's own timestamp.
    mutating func writeVideo(_ encoded: EncodedPacket) throws(EncodeError) {
        guard let timing = timings.removeValue(forKey: encoded.index) else {
            throw .encoder("encoder returned a picture that was never sent (index \(encoded.index))")
        }
        let packet = try Packet(copying: encoded.bytes)
        packet.pointer.pointee.pts = timing.pts
        packet.pointer.pointee.dts = timing.pts
        packet.pointer.pointee.duration = timing.duration
        if encoded.isKeyframe { packet.pointer.pointee.flags |= AV_PKT_FLAG_KEY }
        try muxer.write(packet, toStream: mapping[videoInputIndex]!, timeBase: videoTimeBase)
        framesEncoded += 1
        video.add(encoded.bytes.count, isKeyframe: encoded.isKeyframe)
        if firstPts == nil { firstPts = timing.pts }
        endPts = max(endPts, timing.pts + timing.duration)
        meter.update(frames: framesEncoded, outputBytes: muxer.bytesWritten, video: video)
    }

    mutating func finish() throws(EncodeError) {
        if !timings.isEmpty { throw .encoder("\(timings.count) pictures were sent but never came back") }
        try muxer.finish()
        meter.update(frames: framesEncoded, outputBytes: muxer.bytesWritten, video: video, force: true)
    }

    deinit {
        for raw in held { var doomed: UnsafeMutablePointer<AVPacket>? = raw; av_packet_free(&doomed) }
    }
}

/// HDR10 static metadata: read from the first decoded frame (or the container), handed to
/// the encoder, and stored on the output stream so Matroska carries it too.
enum HDRMetadata {
    static func masteringDisplay(of frame: borrowing Frame, source: UnsafeMutablePointer<AVStream>) -> AVMasteringDisplayMetadata? {
        if let side = frame.sideData(AV_FRAME_DATA_MASTERING_DISPLAY_METADATA) {
            return side.pointee.data.withMemoryRebound(to: AVMasteringDisplayMetadata.self, capacity: 1) { $0.pointee }
        }
        return av_stream_get_side_data(source, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, nil)?
            .withMemoryRebound(to: AVMasteringDisplayMetadata.self, capacity: 1) { $0.pointee }
    }

    static func contentLight(of frame: borrowing Frame, source: UnsafeMutablePointer<AVStream>) -> AVContentLightMetadata? {
        if let side = frame.sideData(AV_FRAME_DATA_CONTENT_LIGHT_LEVEL) {
            return side.pointee.data.withMemoryRebound(to: AVContentLightMetadata.self, capacity: 1) { $0.pointee }
        }
        return av_stream_get_side_data(source, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, nil)?
            .withMemoryRebound(to: AVContentLightMetadata.self, capacity: 1) { $0.pointee }
    }

    static func attach(from frame: borrowing Frame, source: UnsafeMutablePointer<AVStream>, to stream: UnsafeMutablePointer<AVStream>) {
        if var display = masteringDisplay(of: frame, source: source), let kept = MasteringDisplay(display),
           let copy = av_mastering_display_metadata_alloc() {
            // Only the parts that are there and sane: the muxer writes each part it is told is present.
            display.has_primaries = kept.chromaticity != nil ? 1 : 0
            display.has_luminance = kept.luminance != nil ? 1 : 0
            copy.pointee = display
            let size = MemoryLayout<AVMasteringDisplayMetadata>.size
            if av_stream_add_side_data(stream, AV_PKT_DATA_MASTERING_DISPLAY_METADATA, UnsafeMutableRawPointer(copy).assumingMemoryBound(to: UInt8.self), size) < 0 {
                av_free(copy)
            }
        }
        if let light = contentLight(of: frame, source: source) {
            var size = 0
            if let copy = av_content_light_metadata_alloc(&size) {
                copy.pointee = light
                if av_stream_add_side_data(stream, AV_PKT_DATA_CONTENT_LIGHT_LEVEL, UnsafeMutableRawPointer(copy).assumingMemoryBound(to: UInt8.self), size) < 0 {
                    av_free(copy)
                }
            }
        }
    }

    /// Dynamic metadata that the re-encode loses, if this frame or stream carries any.
    static func dynamicKind(of frame: borrowing Frame, source: UnsafeMutablePointer<AVStream>) -> DynamicHDR? {
        if av_stream_get_side_data(source, AV_PKT_DATA_DOVI_CONF, nil) != nil
            || frame.sideData(AV_FRAME_DATA_DOVI_RPU_BUFFER) != nil || frame.sideData(AV_FRAME_DATA_DOVI_METADATA) != nil {
            return .dolbyVision
        }
        if frame.sideData(AV_FRAME_DATA_DYNAMIC_HDR_PLUS) != nil { return .hdr10Plus }
        return nil
    }
}
