import CFFmpeg

/// The converters of every stream the plan converts (subtitles to SRT, audio to FLAC or Opus),
/// keyed by input stream index, and of the closed captions inside the video's pictures (under
/// `StreamPlan.captionIndex`). Used by the decode thread only.
struct StreamConverters: ~Copyable, @unchecked Sendable {
    private let subtitles: ConverterTable<SubtitleToSRT>
    private let audio: ConverterTable<AudioConverter>

    init(_ plan: StreamPlan, input: borrowing MediaInput) throws(EncodeError) {
        let captions = plan.actions.firstIndex(of: .encodeVideo).map { [(index: plan.captionIndex, target: Conversion.srt, video: $0)] } ?? []
        let wanted = plan.conversions { $0 == .srt } + captions.map { ($0.index, $0.target) }
        let subtitles = try ConverterTable(wanted) { (index, _) throws(EncodeError) in
            if let caption = captions.first, index == caption.index {
                return try SubtitleToSRT(captionsIn: input.stream(caption.video).pointee.time_base)
            }
            return try SubtitleToSRT(stream: input.stream(index))
        }
        let audio = try ConverterTable(plan.conversions { $0 != .srt }) { (index, target) throws(EncodeError) in
            try AudioConverter(stream: input.stream(index), to: target)
        }
        self.subtitles = subtitles
        self.audio = audio
    }

    /// No conversions: for reading pictures only (benchmarks).
    init() {
        subtitles = ConverterTable()
        audio = ConverterTable()
    }

    /// Fills an output stream's codec parameters from the converter of input stream `index`.
    func describe(_ index: Int, into stream: UnsafeMutablePointer<AVStream>) throws(EncodeError) {
        if let converter = subtitles.converter(for: index) { try converter.pointee.describe(into: stream) }
        if let converter = audio.converter(for: index) { try converter.pointee.describe(into: stream) }
    }

    /// Whether packets of input stream `index` go through a converter.
    func converts(_ index: Int) -> Bool {
        subtitles.converter(for: index) != nil || audio.converter(for: index) != nil
    }

    /// Converts one packet of a converted stream, handing on what is ready.
    func convert(_ packet: borrowing Packet, emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        if let converter = subtitles.converter(for: packet.streamIndex) {
            if let cue = try converter.pointee.convert(packet) { try emit(cue) }
        } else if let converter = audio.converter(for: packet.streamIndex) {
            try converter.pointee.convert(packet, emit: emit)
        }
    }

    /// Hands the closed captions a picture carries (CEA-608/708 `cc_data`, A/53) to the caption
    /// converter, as a packet at the picture's time (in the video stream's time base).
    func convertCaptions(of picture: borrowing Frame, index: Int, emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        guard let converter = subtitles.converter(for: index), let side = picture.sideData(AV_FRAME_DATA_A53_CC) else { return }
        let packet = try Packet(size: Int(side.pointee.size))
        packet.pointer.pointee.data.update(from: side.pointee.data, count: Int(side.pointee.size))
        packet.pointer.pointee.pts = picture.pointer.pointee.pts
        packet.pointer.pointee.dts = picture.pointer.pointee.pts
        packet.pointer.pointee.duration = picture.pointer.pointee.pkt_duration
        packet.pointer.pointee.stream_index = Int32(index)
        if let cue = try converter.pointee.convert(packet) { try emit(cue) }
    }

    /// At the end of the input: what the audio converters still hold.
    func finish(emit: (consuming Packet) throws(EncodeError) -> Void) throws(EncodeError) {
        for index in audio.indexes { try audio.converter(for: index)!.pointee.finish(emit: emit) }
    }
}

/// Converters (each owning C resources, so not copyable) in manual storage, keyed by input stream index.
struct ConverterTable<Converter: ~Copyable>: ~Copyable {
    private(set) var indexes: [Int] = []
    private let storage: UnsafeMutablePointer<Converter>

    init() { storage = .allocate(capacity: 1) }

    init(_ wanted: [(index: Int, target: Conversion)],
         make: (Int, Conversion) throws(EncodeError) -> Converter) throws(EncodeError) {
        storage = .allocate(capacity: max(wanted.count, 1))
        for (index, target) in wanted {
            do {
                (storage + indexes.count).initialize(to: try make(index, target))
                indexes.append(index)
            } catch {
                storage.deinitialize(count: indexes.count)
                storage.deallocate()
                throw error
            }
        }
    }

    func converter(for index: Int) -> UnsafeMutablePointer<Converter>? {
        indexes.firstIndex(of: index).map { storage + $0 }
    }

    deinit {
        storage.deinitialize(count: indexes.count)
        storage.deallocate()
    }
}
