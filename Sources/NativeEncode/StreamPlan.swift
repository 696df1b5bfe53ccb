import CFFmpeg

/// What happens to one input stream: the one decision every other part (layout, pipeline,
/// summary, job record, verifier) reads.
public enum StreamAction: Equatable, Sendable {
    /// The main picture: decoded and encoded to AV1.
    case encodeVideo
    /// Copied packet for packet (audio and subtitles Matroska holds, attachments).
    case copy
    /// Decoded and re-encoded into a codec Matroska holds.
    case convert(to: Conversion)
    /// Cover art (an attached picture): stored as a Matroska image attachment.
    case attach
    /// Left out; the reason is given in the summary.
    case drop(reason: String)
}

/// The codecs a stream Matroska cannot hold is converted to.
public enum Conversion: Equatable, Sendable, CustomStringConvertible {
    /// MP4 `mov_text` subtitles, cue by cue.
    case srt
    /// Lossless audio (PCM flavours Matroska cannot hold): bit-exact samples.
    case flac
    /// Floating-point PCM Matroska cannot hold (big-endian, 16/24-bit floats): 32-bit float
    /// little-endian PCM, Matroska's own; FLAC holds integers only.
    case floatPCM
    /// Lossy audio Matroska cannot hold, at `bitRate` bits per second.
    case opus(bitRate: Int)

    /// "FLAC", "Opus at 128 kb/s", "SRT": for notes.
    public var description: String {
        switch self {
        case .srt: "SRT"
        case .flac: "FLAC"
        case .floatPCM: "32-bit float PCM"
        case .opus(let rate): "Opus at \(rate / 1000) kb/s"
        }
    }

    public var codecName: String {
        switch self {
        case .srt: "subrip"
        case .flac: "flac"
        case .floatPCM: "pcm_f32le"
        case .opus: "opus"
        }
    }

    /// Opus bit rate for a channel count: 64 kb/s per channel (transparent for stereo at 128 kb/s,
    /// 384 kb/s for 5.1), at most 510 kb/s (the most libopus takes for 8 channels is higher; 7.1 gets 510).
    static func opusBitRate(channels: Int) -> Int { min(64_000 * max(channels, 1), 510_000) }
}

/// One row of the plan, as printed by `av1d encode -v` and stored in the summary and job record.
public struct StreamDecision: Sendable, Equatable, Codable {
    public var index: Int
    /// "video", "audio", "subtitle", "attachment", "data".
    public var kind: String
    public var codec: String
    /// "encode", "copy", "convert", "attach" or "drop".
    public var action: String
    /// The codec a converted stream becomes.
    public var convertedTo: String?
    /// Bits per second of a lossy conversion.
    public var bitRate: Int?
    /// Why: what Matroska can hold, or why the stream is left out.
    public var why: String

    public init(index: Int, kind: String, codec: String, action: StreamAction, why: String) {
        self.index = index
        self.kind = kind
        self.codec = codec
        self.why = why
        switch action {
        case .encodeVideo: self.action = "encode"
        case .copy: self.action = "copy"
        case .attach: self.action = "attach"
        case .drop: self.action = "drop"
        case .convert(let target):
            self.action = "convert"
            convertedTo = target.codecName
            if case .opus(let rate) = target { bitRate = rate }
        }
    }

    /// One line of the table `av1d encode -v` prints.
    public var line: String {
        let target = convertedTo.map { " to \($0)" + (bitRate.map { " \($0 / 1000) kb/s" } ?? "") } ?? ""
        return "stream \(index) \(kind) \(codec): \(action)\(target) (\(why))"
    }
}

/// What Matroska, as FFmpeg 5.1's muxer writes it, can hold of an audio or subtitle codec.
enum MatroskaSupport: Equatable {
    /// A Matroska codec ID of its own (A_AAC, A_AC3, S_TEXT/UTF8...).
    case native
    /// No codec ID of its own, but a WAV format tag: the muxer writes it as `A_MS/ACM`
    /// (`avformat_query_codec` says no to these, yet they mux and play, as with `ffmpeg -c:a copy`).
    case waveFormat(tag: UInt32)
    case unsupported

    init(_ codec: AVCodecID, type: AVMediaType) {
        // These have a Matroska codec ID, but FFmpeg 5.1's `mkv_init` refuses to write them.
        if [AV_CODEC_ID_COOK, AV_CODEC_ID_ATRAC3, AV_CODEC_ID_RA_288, AV_CODEC_ID_SIPR].contains(codec) {
            self = .unsupported
            return
        }
        let matroska = av_guess_format("matroska", nil, nil)
        if avformat_query_codec(matroska, codec, FF_COMPLIANCE_NORMAL) == 1 { self = .native; return }
        guard type == AVMEDIA_TYPE_AUDIO else { self = .unsupported; return }
        var tables = [avformat_get_riff_audio_tags(), nil]  // a NULL-terminated list of tables
        let tag = tables.withUnsafeMutableBufferPointer { av_codec_get_tag($0.baseAddress, codec) }
        self = tag != 0 ? .waveFormat(tag: tag) : .unsupported
    }
}

/// The decision for every input stream, made from the container and codec parameters alone.
public struct StreamPlan: Sendable {
    public private(set) var decisions: [StreamDecision] = []
    public private(set) var actions: [StreamAction] = []

    init(_ input: borrowing MediaInput, videoIndex: Int) {
        for index in 0..<input.streamCount {
            let stream = input.stream(index)
            let (action, why) = Self.decide(stream, isMainVideo: index == videoIndex)
            actions.append(action)
            decisions.append(StreamDecision(index: index, kind: SourceStream.Kind(stream.parameters.pointee.codec_type).rawValue,
                                            codec: String(cString: avcodec_get_name(stream.parameters.pointee.codec_id)),
                                            action: action, why: why))
        }
    }

    /// The table: stream kind and codec, with what Matroska can hold, to copy / convert / drop.
    static func decide(_ stream: UnsafeMutablePointer<AVStream>, isMainVideo: Bool) -> (StreamAction, String) {
        let parameters = stream.parameters.pointee
        let index = Int(stream.pointee.index)
        let codec = String(cString: avcodec_get_name(parameters.codec_id))
        if isMainVideo { return (.encodeVideo, "the main picture, encoded to AV1") }
        if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
            return stream.pointee.attached_pic.size > 0
                ? (.attach, "cover art, kept as a Matroska image attachment")
                : (.drop(reason: "cover art stream \(index) holds no picture"), "empty cover art")
        }
        let support = MatroskaSupport(parameters.codec_id, type: parameters.codec_type)
        switch parameters.codec_type {
        case AVMEDIA_TYPE_VIDEO:
            let reason = "second video stream \(index) (\(codec)) dropped: the output holds one video stream"
            return (.drop(reason: reason), "the output holds one video stream")
        case AVMEDIA_TYPE_ATTACHMENT:
            return (.copy, "Matroska attachment")
        case AVMEDIA_TYPE_SUBTITLE where parameters.codec_id == AV_CODEC_ID_MOV_TEXT:
            return (.convert(to: .srt), "Matroska has no mov_text")
        case AVMEDIA_TYPE_SUBTITLE where support == .native:
            return (.copy, "Matroska holds \(codec)")
        case AVMEDIA_TYPE_AUDIO:
            return AudioRule.decide(codec: parameters.codec_id, name: codec, channels: Int(parameters.ch_layout.nb_channels),
                                    support: support, index: index)
        case AVMEDIA_TYPE_SUBTITLE:
            let reason = "\(codec) stream \(index) dropped: Matroska cannot hold it"
            return (.drop(reason: reason), "Matroska cannot hold \(codec)")
        default:
            let reason = "data stream \(index) (\(codec)) dropped: Matroska cannot hold it"
            return (.drop(reason: reason), "Matroska cannot hold data streams")
        }
    }

    /// What a reader will see in the output, stream by stream: Matroska readers list the tracks
    /// first, in order, then the attachments (fonts and cover art) whatever their input position.
    /// An SRT track of the video's closed captions, when there is one, is the last track.
    func outputKinds(_ source: SourceInfo, captionTrack: Bool = false) -> [String] {
        let kinds: [String] = actions.enumerated().compactMap { index, action in
            switch action {
            case .drop: nil
            case .encodeVideo: "video"
            case .convert(to: .srt): "subtitle"
            case .convert: "audio"
            case .attach: "attachment"
            case .copy: source.streams[index].kind.rawValue
            }
        }
        return kinds.filter { $0 != "attachment" } + (captionTrack ? ["subtitle"] : []) + kinds.filter { $0 == "attachment" }
    }

    /// The input index closed captions found in the video's pictures are handed on under:
    /// one past the file's own streams.
    var captionIndex: Int { actions.count }

    /// Input streams whose packets reach the muxer as they are.
    var copiedStreams: Set<Int> { Set(actions.indices.filter { actions[$0] == .copy }) }

    /// Input streams converted to `target`, with their target.
    func conversions(where matches: (Conversion) -> Bool) -> [(index: Int, target: Conversion)] {
        actions.enumerated().compactMap { index, action in
            if case .convert(let target) = action, matches(target) { return (index, target) }
            return nil
        }
    }

    var notes: [String] {
        decisions.compactMap { decision in
            switch actions[decision.index] {
            case .drop(let reason): reason
            case .convert(to: .srt): "mov_text subtitle stream \(decision.index) converted to SRT"
            case .convert(let target): "\(decision.codec) audio stream \(decision.index) converted to \(target) (\(decision.why))"
            case .attach: "cover art stream \(decision.index) kept as an attachment"
            default: nil
            }
        }
    }
}

/// Audio: copied whenever Matroska can hold it, else converted (lossless to FLAC, lossy to Opus),
/// dropped only when no conversion can carry it.
enum AudioRule {
    static func decide(codec: AVCodecID, name: String, channels: Int, support: MatroskaSupport, index: Int) -> (StreamAction, String) {
        switch support {
        case .native: return (.copy, "Matroska holds \(name)")
        case .waveFormat(let tag): return (.copy, "written as A_MS/ACM, WAV format tag 0x\(String(tag, radix: 16))")
        case .unsupported: break
        }
        guard avcodec_find_decoder(codec) != nil else {
            return (.drop(reason: "\(name) audio stream \(index) dropped: Matroska cannot hold it and no decoder can convert it"),
                    "no decoder for \(name)")
        }
        guard channels <= 8 else {
            return (.drop(reason: "\(name) audio stream \(index) dropped: Matroska cannot hold it and \(channels) channels exceed FLAC's and Opus's 8"),
                    "\(channels) channels")
        }
        let lossless = avcodec_descriptor_get(codec).map { $0.pointee.props & AV_CODEC_PROP_LOSSLESS != 0 } ?? false
        if lossless && name.hasPrefix("pcm_f") {
            return (.convert(to: .floatPCM), "Matroska cannot hold \(name); float samples, so Matroska's float PCM")
        }
        return lossless
            ? (.convert(to: .flac), "Matroska cannot hold \(name); lossless, so FLAC")
            : (.convert(to: .opus(bitRate: Conversion.opusBitRate(channels: channels))), "Matroska cannot hold \(name)")
    }
}

/// Builds the output streams from the plan: one per kept input stream, in input order.
enum OutputLayout {
    /// Maps input stream index to output stream index; the video stream's parameters are
    /// filled in later, when the encoder exists.
    static func build(_ plan: StreamPlan, input: borrowing MediaInput, output: borrowing MatroskaOutput,
                      converters: borrowing StreamConverters) throws(EncodeError) -> [Int: Int] {
        var mapping: [Int: Int] = [:]
        for (index, action) in plan.actions.enumerated() {
            let source = input.stream(index)
            switch action {
            case .drop: continue
            case .encodeVideo:
                let stream = try output.addStream()
                stream.pointee.time_base = source.pointee.time_base
                copyMetadata(from: source, to: stream, isReencoded: true)
            case .copy:
                let stream = try output.addStream()
                let code = avcodec_parameters_copy(stream.parameters, source.parameters)
                if code < 0 { throw .library(AVFailure(code: code, operation: "copying stream \(index) parameters")) }
                // The source container's tag means nothing to Matroska.
                stream.parameters.pointee.codec_tag = 0
                stream.pointee.time_base = source.pointee.time_base
                copyMetadata(from: source, to: stream, isReencoded: false)
                if source.parameters.pointee.codec_type == AVMEDIA_TYPE_ATTACHMENT,
                   MetadataDictionary.value(stream.pointee.metadata, "mimetype") == nil {
                    av_dict_set(&stream.pointee.metadata, "mimetype", "application/octet-stream", 0)
                }
            case .convert(to: .srt):
                let stream = try output.addStream()
                try converters.describe(index, into: stream)
                stream.pointee.time_base = source.pointee.time_base
                copyMetadata(from: source, to: stream, isReencoded: true)
            case .convert:
                let stream = try output.addStream()
                try converters.describe(index, into: stream)
                copyMetadata(from: source, to: stream, isReencoded: true)
            case .attach:
                let stream = try output.addStream()
                try makeAttachment(from: source, into: stream)
            }
            mapping[index] = Int(output.context.pointee.nb_streams) - 1
        }
        copyChapters(from: input, to: output)
        av_dict_copy(&output.context.pointee.metadata, input.context.pointee.metadata, 0)
        markDefaultTracks(output, video: plan.actions.firstIndex(of: .encodeVideo).flatMap { mapping[$0] })
        return mapping
    }

    /// MPEG-TS and AVI mark no track default; players then may pick none. As the ffmpeg CLI does,
    /// the first video and the first audio track become default when the source marked none of their kind.
    /// (The AV1 stream's codec type is set only when the encoder exists, so it is named here.)
    private static func markDefaultTracks(_ output: borrowing MatroskaOutput, video: Int?) {
        let streams = (0..<Int(output.context.pointee.nb_streams)).map { output.stream($0) }
        let videos = video.map { [streams[$0]] } ?? []
        let audios = streams.filter { $0.parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO }
        for tracks in [videos, audios] where !tracks.contains(where: { $0.pointee.disposition & AV_DISPOSITION_DEFAULT != 0 }) {
            tracks.first?.pointee.disposition |= AV_DISPOSITION_DEFAULT
        }
    }

    /// Language, title, dispositions (default, forced...) and the other tags. Statistics tags
    /// that described the old encoding are dropped from re-encoded streams.
    private static func copyMetadata(from source: UnsafeMutablePointer<AVStream>, to stream: UnsafeMutablePointer<AVStream>,
                                     isReencoded: Bool) {
        av_dict_copy(&stream.pointee.metadata, source.pointee.metadata, 0)
        stream.pointee.disposition = source.pointee.disposition & ~AV_DISPOSITION_ATTACHED_PIC
        guard isReencoded else { return }
        for key in ["BPS", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES", "_STATISTICS_TAGS", "_STATISTICS_WRITING_APP",
                    "_STATISTICS_WRITING_DATE_UTC", "ENCODER", "encoder", "DURATION", "handler_name", "vendor_id"] {
            av_dict_set(&stream.pointee.metadata, key, nil, 0)
        }
    }

    /// Cover art becomes a Matroska attachment named and typed after its real format
    /// (`cover.png` image/png, `cover.jpg` image/jpeg, `cover.bmp`...), as Matroska players expect.
    private static func makeAttachment(from source: UnsafeMutablePointer<AVStream>,
                                       into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        let picture = source.pointee.attached_pic
        let codec = source.parameters.pointee.codec_id
        let parameters = stream.parameters
        parameters.pointee.codec_type = AVMEDIA_TYPE_ATTACHMENT
        parameters.pointee.codec_id = codec
        guard let data = av_mallocz(Int(picture.size) + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "cover art copy"))
        }
        data.copyMemory(from: picture.data, byteCount: Int(picture.size))
        parameters.pointee.extradata = data.assumingMemoryBound(to: UInt8.self)
        parameters.pointee.extradata_size = picture.size
        let image = CoverImage(codec)
        av_dict_set(&stream.pointee.metadata, "filename", "cover.\(image.fileExtension)", 0)
        av_dict_set(&stream.pointee.metadata, "mimetype", image.mimeType, 0)
    }

    /// Chapters, moved by the file's start time like every packet (SourceTimeline).
    private static func copyChapters(from input: borrowing MediaInput, to output: borrowing MatroskaOutput) {
        let source = input.context.pointee
        guard source.nb_chapters > 0, let chapters = source.chapters else { return }
        let start = source.start_time == av1d_nopts_value() ? 0 : source.start_time
        let outputContext = output.context
        for index in 0..<Int(source.nb_chapters) {
            guard let chapter = chapters[index],
                  let copy = av_mallocz(MemoryLayout<AVChapter>.size)?.assumingMemoryBound(to: AVChapter.self) else { continue }
            copy.pointee.id = chapter.pointee.id
            copy.pointee.time_base = chapter.pointee.time_base
            let shift = av_rescale_q(start, av1d_time_base_q(), chapter.pointee.time_base)
            copy.pointee.start = max(chapter.pointee.start - shift, 0)
            copy.pointee.end = max(chapter.pointee.end - shift, 0)
            av_dict_copy(&copy.pointee.metadata, chapter.pointee.metadata, 0)
            // avformat_free_context frees chapters added this way.
            withUnsafeMutablePointer(to: &outputContext.pointee.chapters) { list in
                withUnsafeMutablePointer(to: &outputContext.pointee.nb_chapters) { count in
                    count.withMemoryRebound(to: Int32.self, capacity: 1) { av_dynarray_add(list, $0, copy) }
                }
            }
        }
    }
}

/// The file name extension and MIME type of a cover picture, from its codec.
struct CoverImage: Equatable {
    var fileExtension: String
    var mimeType: String

    init(_ codec: AVCodecID) {
        switch codec {
        case AV_CODEC_ID_MJPEG: self = CoverImage(fileExtension: "jpg", mimeType: "image/jpeg")
        case AV_CODEC_ID_PNG: self = CoverImage(fileExtension: "png", mimeType: "image/png")
        case AV_CODEC_ID_BMP: self = CoverImage(fileExtension: "bmp", mimeType: "image/bmp")
        case AV_CODEC_ID_GIF: self = CoverImage(fileExtension: "gif", mimeType: "image/gif")
        case AV_CODEC_ID_WEBP: self = CoverImage(fileExtension: "webp", mimeType: "image/webp")
        case AV_CODEC_ID_TIFF: self = CoverImage(fileExtension: "tif", mimeType: "image/tiff")
        default:
            // Any other picture codec: its own name and first MIME type, if FFmpeg knows one.
            let descriptor = avcodec_descriptor_get(codec)
            let mime = descriptor?.pointee.mime_types?.pointee.map { String(cString: $0) }
            self = CoverImage(fileExtension: String(cString: avcodec_get_name(codec)), mimeType: mime ?? "application/octet-stream")
        }
    }

    init(fileExtension: String, mimeType: String) {
        self.fileExtension = fileExtension
        self.mimeType = mimeType
    }
}
