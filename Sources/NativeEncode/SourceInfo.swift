import CFFmpeg

/// What a player sees of the colour of a video: the four values AV1 and Matroska both carry.
public struct ColorDescription: Sendable, Equatable, Codable {
    public var primaries: Int32
    public var transfer: Int32
    public var matrix: Int32
    /// 1 = limited (studio) range, 2 = full range; 0 = unspecified (FFmpeg's AVColorRange).
    public var range: Int32

    /// True for PQ (SMPTE 2084) and HLG transfers.
    public var isHDRTransfer: Bool {
        transfer == Int32(AVCOL_TRC_SMPTE2084.rawValue) || transfer == Int32(AVCOL_TRC_ARIB_STD_B67.rawValue)
    }
}

/// Dynamic HDR metadata that cannot survive a re-encode.
public enum DynamicHDR: String, Sendable, Codable {
    case dolbyVision = "Dolby Vision"
    case hdr10Plus = "HDR10+"
}

/// A description of one input stream, enough to plan what happens to it.
public struct SourceStream: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable { case video, audio, subtitle, attachment, data, unknown }
    public var index: Int
    public var kind: Kind
    public var codecName: String
    public var isAttachedPicture: Bool
    public var language: String?
    public var title: String?
}

/// Facts about an input file read from its container and headers (no decoding).
public struct SourceInfo: Sendable {
    public var path: String
    public var formatName: String
    public var streams: [SourceStream]
    /// Index of the video stream that will be encoded; nil when there is none.
    public var videoIndex: Int?
    public var width: Int
    public var height: Int
    public var videoCodec: String
    public var pixelFormat: String
    public var bitDepth: Int
    public var frameRate: Double
    public var durationSeconds: Double
    /// Frames the container says the video has, or an estimate from duration x frame rate.
    public var estimatedFrames: Int
    public var bitRate: Int
    public var color: ColorDescription
    public var dynamicHDR: DynamicHDR?
    /// HDR10 static metadata seen on the first picture (set by `MediaProbe`).
    public var hasMasteringDisplay = false
    public var isHDR: Bool { color.isHDRTransfer || hasMasteringDisplay || dynamicHDR != nil }

    public var isAV1: Bool { videoCodec == "av1" }

    package init(_ input: borrowing MediaInput) {
        let context = input.context
        path = input.path
        formatName = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        streams = (0..<input.streamCount).map { SourceStream(input.stream($0)) }
        videoIndex = Self.chooseVideo(streams: streams, input: input)
        durationSeconds = context.pointee.duration > 0 ? Double(context.pointee.duration) / Double(AV_TIME_BASE) : 0
        bitRate = Int(context.pointee.bit_rate)
        guard let videoIndex else {
            width = 0; height = 0; videoCodec = ""; pixelFormat = ""; bitDepth = 0; frameRate = 0
            estimatedFrames = 0; color = ColorDescription(primaries: 2, transfer: 2, matrix: 2, range: 0)
            return
        }
        let stream = input.stream(videoIndex)
        let parameters = stream.parameters.pointee
        width = Int(parameters.width)
        height = Int(parameters.height)
        videoCodec = String(cString: avcodec_get_name(parameters.codec_id))
        let format = AVPixelFormat(rawValue: parameters.format)
        pixelFormat = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "unknown"
        bitDepth = av_pix_fmt_desc_get(format).map { Int($0.pointee.comp.0.depth) } ?? 8
        frameRate = av_q2d(Self.nominalFrameRate(of: stream))
        let streamDuration = stream.pointee.duration > 0
            ? Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base) : 0
        if stream.pointee.nb_frames > 0 {
            estimatedFrames = Int(stream.pointee.nb_frames)
        } else {
            let seconds = streamDuration > 0 ? streamDuration : durationSeconds
            estimatedFrames = Int((seconds * frameRate).rounded())
        }
        if durationSeconds == 0 { durationSeconds = streamDuration }
        color = ColorDescription(primaries: Int32(parameters.color_primaries.rawValue),
                                 transfer: Int32(parameters.color_trc.rawValue),
                                 matrix: Int32(parameters.color_space.rawValue),
                                 range: Int32(parameters.color_range.rawValue))
        dynamicHDR = av_stream_get_side_data(stream, AV_PKT_DATA_DOVI_CONF, nil) != nil ? .dolbyVision : nil
    }

    /// The main picture: not cover art; the default-flagged one first, then the largest.
    private static func chooseVideo(streams: [SourceStream], input: borrowing MediaInput) -> Int? {
        let candidates = streams.filter { $0.kind == .video && !$0.isAttachedPicture }
        return candidates.max { a, b in
            let sa = input.stream(a.index).pointee, sb = input.stream(b.index).pointee
            let da = sa.disposition & AV_DISPOSITION_DEFAULT != 0, db = sb.disposition & AV_DISPOSITION_DEFAULT != 0
            if da != db { return !da }
            return Int(input.stream(a.index).parameters.pointee.width) * Int(input.stream(a.index).parameters.pointee.height)
                < Int(input.stream(b.index).parameters.pointee.width) * Int(input.stream(b.index).parameters.pointee.height)
        }?.index
    }

    /// The stream's average rate, or its base rate, or 25: the one nominal rate that frame
    /// estimates, keyframe intervals and the encoders all use (encoders want 1-240).
    package static func nominalFrameRate(of stream: UnsafeMutablePointer<AVStream>) -> AVRational {
        for rate in [stream.pointee.avg_frame_rate, stream.pointee.r_frame_rate] where rate.num > 0 && rate.den > 0 {
            let value = av_q2d(rate)
            if value >= 1 && value <= 240 { return rate }
        }
        return AVRational(num: 25, den: 1)
    }
}

extension SourceStream.Kind {
    init(_ type: AVMediaType) {
        switch type {
        case AVMEDIA_TYPE_VIDEO: self = .video
        case AVMEDIA_TYPE_AUDIO: self = .audio
        case AVMEDIA_TYPE_SUBTITLE: self = .subtitle
        case AVMEDIA_TYPE_ATTACHMENT: self = .attachment
        case AVMEDIA_TYPE_DATA: self = .data
        default: self = .unknown
        }
    }
}

extension SourceStream {
    init(_ stream: UnsafeMutablePointer<AVStream>) {
        let parameters = stream.parameters.pointee
        index = Int(stream.pointee.index)
        kind = Kind(parameters.codec_type)
        codecName = String(cString: avcodec_get_name(parameters.codec_id))
        isAttachedPicture = stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0
        language = MetadataDictionary.value(stream.pointee.metadata, "language")
        title = MetadataDictionary.value(stream.pointee.metadata, "title")
    }
}

/// Reading FFmpeg's `AVDictionary` metadata.
enum MetadataDictionary {
    static func value(_ dictionary: OpaquePointer?, _ key: String) -> String? {
        guard let entry = av_dict_get(dictionary, key, nil, 0), let value = entry.pointee.value else { return nil }
        return String(cString: value)
    }
}
