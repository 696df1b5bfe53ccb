import CFFmpeg
import CSvtAv1
import Foundation

/// SVT-AV1 through its C API. Owns the encoder handle from `init_handle` to `deinit_handle`.
package struct SvtEncoder: ~Copyable, AV1Encoder {
    private let handle: UnsafeMutablePointer<EbComponentType>
    private let bytesPerSample: Int
    /// SVT-AV1 1.x reads every picture at this size, whatever size the picture says it has.
    private let width: Int, height: Int
    package let sequenceHeader: [UInt8]
    package let name: String
    /// Set once the packet flagged end-of-stream has been handed over.
    private var reachedEnd = false
    /// Set once the end-of-stream buffer was sent; SVT complains when torn down without one.
    private var sentEnd = false

    /// SVT-AV1 refuses odd sizes and sizes under 64x64.
    package static func accepts(width: Int, height: Int) -> Bool {
        width >= 64 && height >= 64 && width % 2 == 0 && height % 2 == 0
    }

    /// SVT-AV1 1.4.1 sets process-wide state (CPU dispatch tables, thread-group tables) when an
    /// encoder is created or torn down; chunk workers create theirs concurrently, so those steps
    /// take turns.
    private static let lifecycle = NSLock()

    package init(_ config: VideoEncoderConfig) throws(EncodeError) {
        Self.lifecycle.lock()
        defer { Self.lifecycle.unlock() }
        var created: UnsafeMutablePointer<EbComponentType>?
        var parameters = EbSvtAv1EncConfiguration()
        try Self.check(svt_av1_enc_init_handle(&created, nil, &parameters), "init_handle")
        guard let created else { throw .encoder("SVT-AV1 returned no handle") }
        Self.apply(config, to: &parameters)
        do {
            try Self.check(svt_av1_enc_set_parameter(created, &parameters), "set_parameter")
            try Self.check(svt_av1_enc_init(created), "init")
        } catch {
            _ = svt_av1_enc_deinit(created)
            _ = svt_av1_enc_deinit_handle(created)
            throw error
        }
        var header: UnsafeMutablePointer<EbBufferHeaderType>?
        let headerCode = svt_av1_enc_stream_header(created, &header)
        guard headerCode == EB_ErrorNone, let header else {
            _ = svt_av1_enc_deinit(created)
            _ = svt_av1_enc_deinit_handle(created)
            throw .encoder("SVT-AV1 stream_header failed (\(Self.hex(headerCode)))")
        }
        sequenceHeader = Array(UnsafeBufferPointer(start: header.pointee.p_buffer, count: Int(header.pointee.n_filled_len)))
        _ = svt_av1_enc_stream_header_release(header)
        handle = created
        bytesPerSample = config.bitDepth > 8 ? 2 : 1
        width = config.width
        height = config.height
        name = Self.libraryName
    }

    /// "SVT-AV1 v1.4.1": the library this process links.
    static var libraryName: String { "SVT-AV1 " + (svt_av1_get_version().map { String(cString: $0) } ?? "") }

    /// Copies our settings into SVT's configuration (after `init_handle` filled the defaults).
    private static func apply(_ config: VideoEncoderConfig, to p: inout EbSvtAv1EncConfiguration) {
        p.enc_mode = Int8(clamping: config.preset)
        p.source_width = UInt32(config.width)
        p.source_height = UInt32(config.height)
        p.frame_rate_numerator = UInt32(config.frameRate.num)
        p.frame_rate_denominator = UInt32(config.frameRate.den)
        p.encoder_bit_depth = UInt32(config.bitDepth)
        p.encoder_color_format = EB_YUV420
        p.profile = MAIN_PROFILE
        // CRF: rate control 0 with adaptive quantisation; aq 0 would mean fixed QP.
        p.rate_control_mode = 0
        p.qp = UInt32(config.crf)
        p.enable_adaptive_quantization = 2
        // SVT counts the frames *after* the keyframe.
        p.intra_period_length = Int32(max(config.keyframeInterval - 1, 0))
        p.hierarchical_levels = UInt32(config.hierarchicalLevels)
        p.logical_processors = UInt32(config.threads)
        // Never SVT's own pinning: it pins to CPUs 0..n-1 whatever the job was given. With 0,
        // its threads inherit the affinity of the creating thread, which placement controls.
        p.pin_threads = 0
        p.target_socket = -1
        p.film_grain_denoise_strength = UInt32(config.filmGrain)

        let color = config.color
        let described = color.primaries != 2 || color.transfer != 2 || color.matrix != 2
        p.color_description_present_flag = described ? 1 : 0
        p.color_primaries = EbColorPrimaries(rawValue: UInt32(Self.specified(color.primaries)))
        p.transfer_characteristics = EbTransferCharacteristics(rawValue: UInt32(Self.specified(color.transfer)))
        p.matrix_coefficients = EbMatrixCoefficients(rawValue: UInt32(Self.specified(color.matrix)))
        p.color_range = color.range == Int32(AVCOL_RANGE_JPEG.rawValue) ? EB_CR_FULL_RANGE : EB_CR_STUDIO_RANGE
        switch config.chromaLocation {
        case AVCHROMA_LOC_LEFT: p.chroma_sample_position = EB_CSP_VERTICAL
        case AVCHROMA_LOC_TOPLEFT: p.chroma_sample_position = EB_CSP_COLOCATED
        default: p.chroma_sample_position = EB_CSP_UNKNOWN
        }
        p.high_dynamic_range_input = color.isHDRTransfer ? 1 : 0
        // SVT writes these fields into the metadata OBUs as they are: big-endian fixed point,
        // chromaticities 0.16, max luminance 24.8, min luminance 18.14 (AV1 spec 6.7.4). The OBU
        // has no "absent" fields, so a partial description stays in the container only.
        if let display = config.masteringDisplay, let colours = display.chromaticity, let light = display.luminance {
            func point(_ xy: MasteringDisplay.Point) -> EbSvtAv1ChromaPoints {
                .init(x: fixedPoint(xy.x, scale: 65536, as: UInt16.self).bigEndian, y: fixedPoint(xy.y, scale: 65536, as: UInt16.self).bigEndian)
            }
            p.mastering_display.r = point(colours.red)
            p.mastering_display.g = point(colours.green)
            p.mastering_display.b = point(colours.blue)
            p.mastering_display.white_point = point(colours.white)
            p.mastering_display.max_luma = fixedPoint(light.max, scale: 256, as: UInt32.self).bigEndian
            p.mastering_display.min_luma = fixedPoint(light.min, scale: 16384, as: UInt32.self).bigEndian
        }
        if let light = config.contentLight {
            p.content_light_level.max_cll = UInt16(clamping: light.maxCLL).bigEndian
            p.content_light_level.max_fall = UInt16(clamping: light.maxFALL).bigEndian
        }
    }

    /// `value` × `scale` rounded into an unsigned fixed-point field, saturating at its ends
    /// (NaN gives 0): no side-data value can trap the conversion.
    private static func fixedPoint<Field: FixedWidthInteger & UnsignedInteger>(_ value: Double, scale: Double, as: Field.Type) -> Field {
        let scaled = (value * scale).rounded()
        if scaled.isNaN || scaled <= 0 { return 0 }
        return scaled >= Double(Field.max) ? Field.max : Field(scaled)
    }

    /// 0 is "reserved" in FFmpeg's enums and invalid in AV1's: map it to unspecified (2).
    private static func specified(_ value: Int32) -> Int32 { value == 0 ? 2 : value }

    package mutating func send(_ frame: borrowing Frame, index: Int64) throws(EncodeError) {
        // Another size would be read past its end (`PictureFilter` scales them all to the first).
        guard frame.width == width && frame.height == height else {
            throw .encoder("picture \(index) is \(frame.width)x\(frame.height), the encoder was set up for \(width)x\(height)")
        }
        let (planes, strides) = Self.planes(of: frame)
        var picture = EbSvtIOFormat()
        picture.luma = planes[0]
        picture.cb = planes[1]
        picture.cr = planes[2]
        // Strides in samples, not bytes.
        picture.y_stride = UInt32(strides[0] / bytesPerSample)
        picture.cb_stride = UInt32(strides[1] / bytesPerSample)
        picture.cr_stride = UInt32(strides[2] / bytesPerSample)
        picture.width = UInt32(frame.width)
        picture.height = UInt32(frame.height)
        picture.color_fmt = EB_YUV420
        let lumaBytes = strides[0] * frame.height, chromaBytes = strides[1] * ((frame.height + 1) / 2)
        let code = withUnsafeMutablePointer(to: &picture) { picturePointer in
            var buffer = EbBufferHeaderType()
            buffer.size = UInt32(MemoryLayout<EbBufferHeaderType>.size)
            buffer.p_buffer = UnsafeMutableRawPointer(picturePointer).assumingMemoryBound(to: UInt8.self)
            buffer.n_filled_len = UInt32(lumaBytes + 2 * chromaBytes)
            buffer.n_alloc_len = buffer.n_filled_len
            buffer.pts = index
            buffer.pic_type = EB_AV1_INVALID_PICTURE
            return svt_av1_enc_send_picture(handle, &buffer)
        }
        try Self.check(code, "send_picture")
    }

    package mutating func drain(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        while case .packet(let packet) = try poll(wait: false) { try sink(packet) }
    }

    package mutating func finish(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        try Self.check(Self.sendEndOfStream(handle), "send_picture(EOS)")
        sentEnd = true
        while !reachedEnd {
            switch try poll(wait: true) {
            case .packet(let packet): try sink(packet)
            case .empty, .endOfStream: return
            }
        }
    }

    private static func sendEndOfStream(_ handle: UnsafeMutablePointer<EbComponentType>) -> EbErrorType {
        var endOfStream = EbBufferHeaderType()
        endOfStream.size = UInt32(MemoryLayout<EbBufferHeaderType>.size)
        endOfStream.flags = UInt32(EB_BUFFERFLAG_EOS)
        endOfStream.pic_type = EB_AV1_INVALID_PICTURE
        return svt_av1_enc_send_picture(handle, &endOfStream)
    }

    /// Waits out and drops every packet still coming, up to the end-of-stream one (or an error).
    private static func discardUntilEnd(_ handle: UnsafeMutablePointer<EbComponentType>) {
        while true {
            var output: UnsafeMutablePointer<EbBufferHeaderType>?
            guard svt_av1_enc_get_packet(handle, &output, 1) == EB_ErrorNone, let output else { return }
            let flags = output.pointee.flags
            var released: UnsafeMutablePointer<EbBufferHeaderType>? = output
            svt_av1_enc_release_out_buffer(&released)
            if flags & (UInt32(EB_BUFFERFLAG_EOS) | UInt32(EB_BUFFERFLAG_ERROR_MASK)) != 0 { return }
        }
    }

    /// One `get_packet` call. An empty queue is a normal answer, not an error.
    private enum Poll { case packet(EncodedPacket), empty, endOfStream }

    private mutating func poll(wait: Bool) throws(EncodeError) -> Poll {
        if reachedEnd { return .endOfStream }
        var output: UnsafeMutablePointer<EbBufferHeaderType>?
        let code = svt_av1_enc_get_packet(handle, &output, wait ? 1 : 0)
        if code == EB_NoErrorEmptyQueue { return .empty }
        try Self.check(code, "get_packet")
        guard let output else { return .empty }
        defer { var released: UnsafeMutablePointer<EbBufferHeaderType>? = output; svt_av1_enc_release_out_buffer(&released) }
        let flags = output.pointee.flags
        if flags & UInt32(EB_BUFFERFLAG_ERROR_MASK) != 0 { throw .encoder("SVT-AV1 reported an encoding error") }
        // Before SVT-AV1 2.0 the end-of-stream flag rides on the last real packet.
        if flags & UInt32(EB_BUFFERFLAG_EOS) != 0 { reachedEnd = true }
        guard output.pointee.n_filled_len > 0, let bytes = output.pointee.p_buffer else {
            return reachedEnd ? .endOfStream : .empty
        }
        let type = output.pointee.pic_type
        return .packet(EncodedPacket(
            bytes: Array(UnsafeBufferPointer(start: bytes, count: Int(output.pointee.n_filled_len))),
            index: output.pointee.pts,
            isKeyframe: type == EB_AV1_KEY_PICTURE || type == EB_AV1_INTRA_ONLY_PICTURE))
    }

    private static func check(_ code: EbErrorType, _ call: String) throws(EncodeError) {
        if code != EB_ErrorNone { throw .encoder("SVT-AV1 \(call) failed (\(hex(code)))\(hint(code))") }
    }

    private static func hex(_ code: EbErrorType) -> String {
        "0x" + String(UInt32(bitPattern: code.rawValue), radix: 16)
    }

    private static func hint(_ code: EbErrorType) -> String {
        switch code {
        case EB_ErrorBadParameter: ": a setting was refused (run with -v to see SVT-AV1's reason)"
        case EB_ErrorInsufficientResources: ": out of memory"
        default: ""
        }
    }

    deinit {
        if !reachedEnd {
            // Abandoned mid-stream (cancelled or failed): end the stream so SVT shuts down quietly.
            if !sentEnd { _ = Self.sendEndOfStream(handle) }
            // SVT-AV1 1.4.1 can crash (a null read in its own threads) when deinit comes while
            // pictures are still in its pipeline, as when a chunk worker is stopped: run them out.
            Self.discardUntilEnd(handle)
        }
        Self.lifecycle.lock()
        defer { Self.lifecycle.unlock() }
        _ = svt_av1_enc_deinit(handle)
        _ = svt_av1_enc_deinit_handle(handle)
    }
}
