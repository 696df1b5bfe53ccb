import CFFmpeg

/// What happens to one input stream.
enum StreamAction: Equatable {
    /// The main picture: decoded and encoded to AV1.
    case encodeVideo
    /// Copied packet for packet (audio, subtitles Matroska holds, attachments).
    case copy
    /// An MP4 `mov_text` subtitle: converted to SRT cue by cue.
    case convertToSRT
    /// Cover art (an attached picture): stored as a Matroska attachment.
    case coverArtAttachment
    /// Left out, with the reason given in the summary.
    case drop(reason: String)
}

/// The decision for every input stream, made from the container alone.
struct StreamPlan {
    var actions: [StreamAction]

    init(_ input: borrowing MediaInput, videoIndex: Int) {
        let matroska = av_guess_format("matroska", nil, nil)
        actions = (0..<input.streamCount).map { index in
            let stream = input.stream(index)
            let parameters = stream.parameters.pointee
            let codec = String(cString: avcodec_get_name(parameters.codec_id))
            if index == videoIndex { return .encodeVideo }
            if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
                return stream.pointee.attached_pic.size > 0 ? .coverArtAttachment
                    : .drop(reason: "cover art stream \(index) holds no picture")
            }
            switch parameters.codec_type {
            case AVMEDIA_TYPE_VIDEO:
                return .drop(reason: "second video stream \(index) (\(codec)) dropped: the output holds one video stream")
            case AVMEDIA_TYPE_ATTACHMENT:
                return .copy
            case AVMEDIA_TYPE_SUBTITLE where parameters.codec_id == AV_CODEC_ID_MOV_TEXT:
                return .convertToSRT
            case AVMEDIA_TYPE_AUDIO, AVMEDIA_TYPE_SUBTITLE:
                return avformat_query_codec(matroska, parameters.codec_id, FF_COMPLIANCE_NORMAL) == 1
                    ? .copy : .drop(reason: "\(codec) stream \(index) dropped: Matroska cannot hold it")
            default:
                return .drop(reason: "data stream \(index) (\(codec)) dropped: Matroska cannot hold it")
            }
        }
    }

    var notes: [String] {
        actions.enumerated().compactMap { index, action in
            switch action {
            case .drop(let reason): reason
            case .convertToSRT: "mov_text subtitle stream \(index) converted to SRT"
            case .coverArtAttachment: "cover art stream \(index) kept as an attachment"
            default: nil
            }
        }
    }
}

/// Builds the output streams from the plan: one per kept input stream, in input order.
enum OutputLayout {
    /// Maps input stream index to output stream index; the video stream's parameters are
    /// filled in later, when the encoder exists.
    static func build(_ plan: StreamPlan, input: borrowing MediaInput, output: borrowing MatroskaOutput,
                      converters: borrowing SubtitleConverters) throws(EncodeError) -> [Int: Int] {
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
            case .convertToSRT:
                let stream = try output.addStream()
                try converters.describe(index, into: stream)
                stream.pointee.time_base = source.pointee.time_base
                copyMetadata(from: source, to: stream, isReencoded: true)
            case .coverArtAttachment:
                let stream = try output.addStream()
                try makeAttachment(from: source, into: stream)
            }
            mapping[index] = Int(output.context.pointee.nb_streams) - 1
        }
        copyChapters(from: input, to: output)
        av_dict_copy(&output.context.pointee.metadata, input.context.pointee.metadata, 0)
        return mapping
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

    /// Cover art becomes a Matroska attachment with an image MIME type, as Matroska players expect.
    private static func makeAttachment(from source: UnsafeMutablePointer<AVStream>,
                                       into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        let picture = source.pointee.attached_pic
        let isPNG = source.parameters.pointee.codec_id == AV_CODEC_ID_PNG
        let parameters = stream.parameters
        parameters.pointee.codec_type = AVMEDIA_TYPE_ATTACHMENT
        parameters.pointee.codec_id = source.parameters.pointee.codec_id
        guard let data = av_mallocz(Int(picture.size) + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "cover art copy"))
        }
        data.copyMemory(from: picture.data, byteCount: Int(picture.size))
        parameters.pointee.extradata = data.assumingMemoryBound(to: UInt8.self)
        parameters.pointee.extradata_size = picture.size
        av_dict_set(&stream.pointee.metadata, "filename", isPNG ? "cover.png" : "cover.jpg", 0)
        av_dict_set(&stream.pointee.metadata, "mimetype", isPNG ? "image/png" : "image/jpeg", 0)
    }

    private static func copyChapters(from input: borrowing MediaInput, to output: borrowing MatroskaOutput) {
        let source = input.context.pointee
        guard source.nb_chapters > 0, let chapters = source.chapters else { return }
        let outputContext = output.context
        for index in 0..<Int(source.nb_chapters) {
            guard let chapter = chapters[index],
                  let copy = av_mallocz(MemoryLayout<AVChapter>.size)?.assumingMemoryBound(to: AVChapter.self) else { continue }
            copy.pointee.id = chapter.pointee.id
            copy.pointee.time_base = chapter.pointee.time_base
            copy.pointee.start = chapter.pointee.start
            copy.pointee.end = chapter.pointee.end
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

/// The SRT converters for the subtitle streams that need one, keyed by input stream index.
struct SubtitleConverters: ~Copyable, @unchecked Sendable {
    private var indexes: [Int] = []
    private let storage: UnsafeMutablePointer<SubtitleToSRT>
    private let capacity: Int

    init(_ plan: StreamPlan, input: borrowing MediaInput) throws(EncodeError) {
        let wanted = plan.actions.indices.filter { plan.actions[$0] == .convertToSRT }
        capacity = wanted.count
        storage = .allocate(capacity: max(wanted.count, 1))
        for index in wanted {
            do {
                (storage + indexes.count).initialize(to: try SubtitleToSRT(stream: input.stream(index)))
                indexes.append(index)
            } catch {
                storage.deinitialize(count: indexes.count)
                storage.deallocate()
                throw error
            }
        }
    }

    func describe(_ index: Int, into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        guard let slot = indexes.firstIndex(of: index) else { return }
        try storage[slot].describe(into: stream)
    }

    func convert(_ packet: borrowing Packet) throws(EncodeError) -> Packet? {
        guard let slot = indexes.firstIndex(of: packet.streamIndex) else { return nil }
        return try storage[slot].convert(packet)
    }

    deinit {
        storage.deinitialize(count: indexes.count)
        storage.deallocate()
    }
}
