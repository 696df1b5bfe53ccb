import CAom
import CFFmpeg

/// libaom through its C API: the fallback for sizes SVT-AV1 refuses (odd, or under 64x64).
package struct AomEncoder: ~Copyable, AV1Encoder {
    private let context: UnsafeMutablePointer<aom_codec_ctx_t>
    private let config: VideoEncoderConfig
    package let sequenceHeader: [UInt8]
    package let name: String

    package init(_ config: VideoEncoderConfig) throws(EncodeError) {
        var settings = aom_codec_enc_cfg_t()
        guard let interface = aom_codec_av1_cx() else { throw .encoder("libaom has no AV1 encoder") }
        try Self.check(aom_codec_enc_config_default(interface, &settings, UInt32(AOM_USAGE_GOOD_QUALITY)), "config_default", nil)
        settings.g_w = UInt32(config.width)
        settings.g_h = UInt32(config.height)
        settings.g_bit_depth = config.bitDepth > 8 ? AOM_BITS_10 : AOM_BITS_8
        settings.g_input_bit_depth = UInt32(config.bitDepth)
        settings.g_profile = 0
        settings.g_threads = UInt32(config.threads)
        // Timestamps given to libaom are frame indexes, so its time base is one frame.
        settings.g_timebase = aom_rational(num: config.frameRate.den, den: config.frameRate.num)
        settings.rc_end_usage = AOM_Q
        settings.kf_max_dist = UInt32(config.keyframeInterval)

        let context = UnsafeMutablePointer<aom_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: aom_codec_ctx_t())
        let flags = config.bitDepth > 8 ? aom_codec_flags_t(AOM_CODEC_USE_HIGHBITDEPTH) : 0
        let initCode = aom_codec_enc_init_ver(context, interface, &settings, flags, av1d_aom_encoder_abi_version())
        if initCode != AOM_CODEC_OK {
            let message = Self.errorText(context, initCode)
            context.deallocate()
            throw .encoder("libaom init failed: \(message)")
        }
        do {
            // The SVT-style preset maps onto cpu-used (libaom's "good" usage clamps it to 0...6).
            let cpuUsed = Int32(min(max(config.preset - 1, 0), 6))
            try Self.check(aom_codec_control_typechecked_AOME_SET_CPUUSED(context, Int32(AOME_SET_CPUUSED.rawValue), cpuUsed), "cpu-used", context)
            try Self.check(aom_codec_control_typechecked_AOME_SET_CQ_LEVEL(context, Int32(AOME_SET_CQ_LEVEL.rawValue), UInt32(config.crf)), "cq-level", context)
            try Self.check(aom_codec_control_typechecked_AV1E_SET_ROW_MT(context, Int32(AV1E_SET_ROW_MT.rawValue), 1), "row-mt", context)
            let tileColumnsLog2 = config.width >= 1920 ? 2 : (config.width >= 1280 ? 1 : 0)
            try Self.check(aom_codec_control_typechecked_AV1E_SET_TILE_COLUMNS(context, Int32(AV1E_SET_TILE_COLUMNS.rawValue), UInt32(tileColumnsLog2)), "tile-columns", context)
            let color = config.color
            try Self.check(aom_codec_control_typechecked_AV1E_SET_COLOR_PRIMARIES(context, Int32(AV1E_SET_COLOR_PRIMARIES.rawValue), Int32(color.primaries == 0 ? 2 : color.primaries)), "color primaries", context)
            try Self.check(aom_codec_control_typechecked_AV1E_SET_TRANSFER_CHARACTERISTICS(context, Int32(AV1E_SET_TRANSFER_CHARACTERISTICS.rawValue), Int32(color.transfer == 0 ? 2 : color.transfer)), "transfer", context)
            try Self.check(aom_codec_control_typechecked_AV1E_SET_MATRIX_COEFFICIENTS(context, Int32(AV1E_SET_MATRIX_COEFFICIENTS.rawValue), Int32(color.matrix == 0 ? 2 : color.matrix)), "matrix", context)
            try Self.check(aom_codec_control_typechecked_AV1E_SET_COLOR_RANGE(context, Int32(AV1E_SET_COLOR_RANGE.rawValue), color.range == Int32(AVCOL_RANGE_JPEG.rawValue) ? 1 : 0), "color range", context)
            if config.filmGrain > 0 {
                try Self.check(aom_codec_control_typechecked_AV1E_SET_DENOISE_NOISE_LEVEL(context, Int32(AV1E_SET_DENOISE_NOISE_LEVEL.rawValue), Int32(config.filmGrain)), "denoise-noise-level", context)
            }
        } catch {
            aom_codec_destroy(context)
            context.deallocate()
            throw error
        }
        guard let headers = aom_codec_get_global_headers(context) else {
            aom_codec_destroy(context)
            context.deallocate()
            throw .encoder("libaom gave no sequence header")
        }
        sequenceHeader = Array(UnsafeRawBufferPointer(start: headers.pointee.buf, count: Int(headers.pointee.sz)))
        free(headers.pointee.buf)
        free(headers)
        self.context = context
        self.config = config
        name = "libaom " + String(cString: aom_codec_version_str())
    }

    package mutating func send(_ frame: borrowing Frame, index: Int64) throws(EncodeError) {
        let (planes, strides) = Self.planes(of: frame)
        var image = aom_image_t()
        let format = config.bitDepth > 8 ? AOM_IMG_FMT_I42016 : AOM_IMG_FMT_I420
        // Wrap describes the layout; the planes are then pointed at the decoded frame itself.
        guard aom_img_wrap(&image, format, UInt32(frame.width), UInt32(frame.height), 1, planes[0]) != nil else {
            throw .encoder("libaom cannot wrap a \(frame.width)x\(frame.height) picture")
        }
        image.bit_depth = UInt32(config.bitDepth)
        image.planes = (planes[0], planes[1], planes[2])
        image.stride = (Int32(strides[0]), Int32(strides[1]), Int32(strides[2]))
        try Self.check(aom_codec_encode(context, &image, index, 1, 0), "encode", context)
    }

    package mutating func drain(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        var iterator: aom_codec_iter_t?
        while let packet = aom_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == AOM_CODEC_CX_FRAME_PKT else { continue }
            let frame = packet.pointee.data.frame
            try sink(EncodedPacket(
                bytes: Array(UnsafeRawBufferPointer(start: frame.buf, count: frame.sz)),
                index: frame.pts,
                isKeyframe: frame.flags & UInt32(AOM_FRAME_IS_KEY) != 0))
        }
    }

    package mutating func finish(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        // A NULL image flushes; libaom keeps returning packets until its lookahead is empty.
        while true {
            try Self.check(aom_codec_encode(context, nil, 0, 0, 0), "flush", context)
            var produced = false
            try drain { (packet) throws(EncodeError) in produced = true; try sink(packet) }
            if !produced { return }
        }
    }

    private static func check(_ code: aom_codec_err_t, _ what: String, _ context: UnsafeMutablePointer<aom_codec_ctx_t>?) throws(EncodeError) {
        guard code != AOM_CODEC_OK else { return }
        throw .encoder("libaom \(what) failed: \(context.map { errorText($0, code) } ?? String(cString: aom_codec_err_to_string(code)))")
    }

    private static func errorText(_ context: UnsafeMutablePointer<aom_codec_ctx_t>, _ code: aom_codec_err_t) -> String {
        let base = String(cString: aom_codec_err_to_string(code))
        guard let detail = aom_codec_error_detail(context) else { return base }
        return base + " (" + String(cString: detail) + ")"
    }

    deinit {
        aom_codec_destroy(context)
        context.deallocate()
    }
}
