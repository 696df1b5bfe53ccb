import CFFmpeg

/// What a source file *declares* about itself, read from its container headers through an
/// open of its own (no decoding): the measure an encode and its output are held to, so that
/// a read that ended early cannot vouch for itself.
public struct SourceFacts: Sendable, Codable, Equatable {
    public struct Stream: Sendable, Codable, Equatable {
        public var index: Int
        public var kind: SourceStream.Kind
        public var codec: String
        public var isAttachedPicture: Bool
        /// Seconds; nil when the container does not say.
        public var startSeconds: Double?
        /// The stream's own duration, from an MP4/MOV track header (after its edit list). Other
        /// containers' per-stream durations are not the stream's own: Matroska has none (libavformat
        /// copies the file's length in), ASF's are the file's play time, rounded.
        public var durationSeconds: Double?
        /// How many packets an MP4/MOV file's sample table has the stream present, after its edit
        /// lists (libavformat's index, less the entries marked discard: a cut made without
        /// re-encoding keeps the packets before its start only to decode from). Not the header's
        /// `nb_frames`, which counts every sample. Other containers have no such count: AVI's
        /// includes the empty placeholders of dropped frames, Matroska's index lists keyframes.
        public var frameCount: Int?

        public init(index: Int, kind: SourceStream.Kind, codec: String, isAttachedPicture: Bool = false,
                    startSeconds: Double? = nil, durationSeconds: Double? = nil, frameCount: Int? = nil) {
            self.index = index
            self.kind = kind
            self.codec = codec
            self.isAttachedPicture = isAttachedPicture
            self.startSeconds = startSeconds
            self.durationSeconds = durationSeconds
            self.frameCount = frameCount
        }
    }

    public var formatName: String
    public var startSeconds: Double?
    /// The length the header declares (end minus start), or nil when the format declares nothing
    /// reliable: MPEG-TS and MPEG-PS lengths are measured from whatever packets the file ends with,
    /// and a length estimated from the bit rate is a guess.
    public var declaredSeconds: Double?
    public var streams: [Stream]

    public init(formatName: String, startSeconds: Double?, declaredSeconds: Double?, streams: [Stream]) {
        self.formatName = formatName
        self.startSeconds = startSeconds
        self.declaredSeconds = declaredSeconds
        self.streams = streams
    }

    /// `stop` reaches inside libavformat, as for the encode's own open: a stalled source
    /// cannot hold a cancelled job in its probing.
    public init(path: String, stop: StopFlag? = nil) throws(EncodeError) {
        let input = try MediaInput(path: path, stop: stop)
        self.init(input)
    }

    init(_ input: borrowing MediaInput) {
        let context = input.context.pointee
        formatName = context.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        startSeconds = context.start_time == av1d_nopts_value() ? nil : Double(context.start_time) / Double(AV_TIME_BASE)
        let fromHeaders = context.duration_estimation_method == AVFMT_DURATION_FROM_STREAM
        let sampleTables = formatName.hasPrefix("mov,mp4")
        declaredSeconds = fromHeaders && context.duration > 0 ? Double(context.duration) / Double(AV_TIME_BASE) : nil
        streams = (0..<input.streamCount).map { index in
            let stream = input.stream(index)
            let described = SourceStream(stream)
            let timeBase = av_q2d(stream.pointee.time_base)
            let start = stream.pointee.start_time
            return Stream(index: index, kind: described.kind, codec: described.codecName,
                          isAttachedPicture: described.isAttachedPicture,
                          startSeconds: start == av1d_nopts_value() ? nil : Double(start) * timeBase,
                          durationSeconds: sampleTables && stream.pointee.duration > 0 ? Double(stream.pointee.duration) * timeBase : nil,
                          frameCount: sampleTables ? Self.presentedPackets(stream) : nil)
        }
    }

    private static func presentedPackets(_ stream: UnsafeMutablePointer<AVStream>) -> Int {
        (0..<avformat_index_get_entries_count(stream)).count { index in
            avformat_index_get_entry(stream, index).map { $0.pointee.flags & AVINDEX_DISCARD_FRAME == 0 } ?? false
        }
    }

    /// The stream with this index, if the source has it.
    public func stream(_ index: Int) -> Stream? { streams.first { $0.index == index } }

    /// True when the header says how long the file is: otherwise only a clean read to the end
    /// shows that all of it was read.
    public var declaresLength: Bool { declaredSeconds != nil }
}
