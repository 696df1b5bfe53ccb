import CFFmpeg
import Foundation

/// What travels from the decode thread to the encode thread, in file order.
enum PipelineItem: ~Copyable {
    /// A picture ready for the encoder: 4:2:0 at the output depth, `pts`/`pkt_duration` set
    /// in the source video stream's time base.
    case picture(Frame)
    /// A packet of a kept stream, still carrying its input stream index.
    case passthrough(Packet)
    /// The presentation time of a shown video packet, in place of decoding it (`VideoReading.timesAfterFirstPicture`).
    case videoTime(Int64)
    case finished(DecodeReport)
    case failed(EncodeError)
}

/// What the decode thread noticed along the way.
struct DecodeReport: Sendable {
    var framesDecoded = 0
    /// Video packets read that are presented (not marked discard by an edit list).
    var videoPackets = 0
    var corruptPackets = 0
    var repairedTimestamps = 0
    /// Source clock jumps taken out (MPEG-TS joined with `cat`, clock resets).
    var timestampJumps: [SourceTimeline.Jump] = []
    /// Decoded pictures carrying closed captions (CEA-608/708 inside the video), which AV1 in
    /// Matroska cannot carry on.
    var captionedFrames = 0
    /// What was done to the pictures' shape (rotation, deinterlacing, size changes).
    var pictureNotes: [String] = []
    /// The times the read covered, every stream included: held against the declared length.
    var span = ReadSpan()
}

/// How much of the video the stage decodes.
enum VideoReading {
    /// Every picture, handed on converted.
    case pictures
    /// The first picture (it decides the encoder and the output's video track), then only each
    /// shown video packet's time: the join of a chunked encode, whose pictures the chunk workers
    /// decoded and encoded already, needs their times to check the chunks against, not the pictures.
    case timesAfterFirstPicture
}

/// The decode side of the pipeline: demux, decode the video, convert pixels, convert
/// subtitles, and hand everything to the encoder thread through a bounded queue.
struct DecodeStage: ~Copyable, @unchecked Sendable {
    let input: MediaInput
    let decoder: VideoDecoder
    var converter: PixelConverter
    /// Rotation, deinterlacing and size changes, between the decoder and the converter.
    var pictures: PictureFilter
    let converters: StreamConverters
    let videoIndex: Int
    /// Input streams whose packets go to the muxer as they are.
    let copiedStreams: Set<Int>
    /// The input index extracted closed captions are handed on under (`StreamPlan.captionIndex`).
    let captionIndex: Int
    /// Used when the decoder gives a frame no duration.
    let nominalFrameDuration: Int64
    /// The stretch to hand on when the encode is limited to one; nil for the whole video.
    let window: SegmentWindow?
    let reading: VideoReading

    private var report = DecodeReport()
    private var timeline: SourceTimeline
    private var lastPts: Int64?
    private var lastDuration: Int64 = 0
    /// A picture at or past the window's end was decoded: everything after it lies past too.
    private var pastWindow = false
    /// With `.timesAfterFirstPicture`, once the first picture is handed on the decoder is done.
    private var decoderDone = false

    init(input: consuming MediaInput, decoder: consuming VideoDecoder, converter: consuming PixelConverter,
         converters: consuming StreamConverters, videoIndex: Int, copiedStreams: Set<Int>, nominalFrameDuration: Int64,
         segment: Segment? = nil, window chunk: SegmentWindow? = nil, deinterlace: Deinterlace = .auto,
         reading: VideoReading = .pictures) {
        window = chunk ?? segment.map { SegmentWindow($0, input: input, videoIndex: videoIndex) }
        pictures = PictureFilter(stream: input.stream(videoIndex), deinterlace: deinterlace)
        timeline = SourceTimeline(input, nominalVideoDuration: (videoIndex, max(nominalFrameDuration, 1)))
        captionIndex = input.streamCount
        self.input = input
        self.decoder = decoder
        self.converter = converter
        self.converters = converters
        self.videoIndex = videoIndex
        self.copiedStreams = copiedStreams
        self.nominalFrameDuration = max(nominalFrameDuration, 1)
        self.reading = reading
    }

    /// Runs to the end of the input, or until `stop` is raised or the queue is closed.
    /// Always ends by pushing `.finished` or `.failed`.
    mutating func run(into queue: HandoffQueue<PipelineItem>, stop: StopFlag) {
        do throws(EncodeError) {
            let packet = try Packet()
            let frame = try Frame()
            // The encode side stopped taking items: end quietly.
            let handOn = { (converted: consuming Packet) throws(EncodeError) in
                guard queue.push(.passthrough(converted)) else { throw .cancelled }
            }
            window?.seek(input)
            reading: while !stop.isRaised && !segmentComplete {
                switch input.read(into: packet) {
                case .packet:
                    timeline.place(packet)
                    let index = packet.streamIndex
                    report.span.note(packet, in: input.stream(index))
                    let presented = packet.pointer.pointee.flags & AV_PKT_FLAG_DISCARD == 0
                    if index == videoIndex {
                        if presented { report.videoPackets += 1 }
                        if presented && reading == .timesAfterFirstPicture {
                            guard queue.push(.videoTime(packet.pointer.pointee.pts)) else { return }
                        }
                        if decoderDone { packet.unref(); continue }
                        if decoder.send(packet) != nil { report.corruptPackets += 1 }
                        packet.unref()
                        guard try drainDecoder(frame, into: queue) else { return }
                    } else if converters.converts(index) {
                        try converters.convert(packet, emit: handOn)
                        packet.unref()
                    } else if copiedStreams.contains(index) && (presented || isPreRoll(packet)) {
                        guard queue.push(.passthrough(try Packet(movingFrom: packet))) else { return }
                    } else {
                        packet.unref()
                    }
                case .endOfFile:
                    // A read error ends the job: an encode of part of the source must not replace it.
                    if let failure = input.ioError { throw input.readFailure(failure) }
                    break reading
                case .failed(let failure):
                    throw input.readFailure(failure)
                }
            }
            if stop.isRaised { queue.push(.failed(.cancelled)); return }
            // Frames the decoder still holds once the segment is complete lie past it: no flush.
            if !segmentComplete && !decoderDone {
                decoder.sendEndOfStream()
                guard try drainDecoder(frame, into: queue) else { return }
                try converters.finish(emit: handOn)
            }
            try pictures.finish()
            guard try handOnPictures(into: queue) else { return }
            report.pictureNotes = pictures.notes
            report.timestampJumps = timeline.jumps
            queue.push(.finished(report))
        } catch {
            queue.push(.failed(error))
        }
    }

    /// A decoder that fails this many times in a row without a frame is given more input
    /// (or, at the end, given up on) rather than asked again for ever.
    static let failuresInARow = 32

    /// Moves every frame the decoder has ready into the queue. False if the queue was closed.
    private mutating func drainDecoder(_ frame: borrowing Frame, into queue: HandoffQueue<PipelineItem>) throws(EncodeError) -> Bool {
        var failures = 0
        while failures < Self.failuresInARow && !decoderDone {
            let output: VideoDecoder.Output
            do { output = try decoder.receive(into: frame) } catch {
                // A broken frame costs that frame, as in any player; the count is reported.
                report.corruptPackets += 1
                failures += 1
                continue
            }
            guard case .frame = output else { return true }
            failures = 0
            stampTime(on: frame)
            if frame.sideData(AV_FRAME_DATA_A53_CC) != nil {
                report.captionedFrames += 1
                try converters.convertCaptions(of: frame, index: captionIndex) { (cue) throws(EncodeError) in
                    guard queue.push(.passthrough(cue)) else { throw .cancelled }
                }
            }
            if let window, !window.admits(pts: frame.pointer.pointee.pts, handedOn: report.framesDecoded) {
                // Decoders hand pictures on in display order: the first one past the end closes the window.
                if window.isPast(pts: frame.pointer.pointee.pts) { pastWindow = true }
                av_frame_unref(frame.pointer)
                continue
            }
            report.framesDecoded += 1
            try pictures.send(frame)
            guard try handOnPictures(into: queue) else { return false }
        }
        return true
    }

    /// Converts the pictures the filter has ready and queues them. False if the queue was closed.
    private mutating func handOnPictures(into queue: HandoffQueue<PipelineItem>) throws(EncodeError) -> Bool {
        while !decoderDone, let shaped = try pictures.receive() {
            let picture = try converter.convert(shaped)
            let bytes = picture.bufferBytes
            guard queue.push(.picture(picture), bytes: bytes) else { return false }
            if reading == .timesAfterFirstPicture { decoderDone = true }
        }
        return true
    }

    /// Whether a packet an MP4 edit list hides is the one just before its stream's first shown
    /// packet (AAC's priming, which the decoder needs). Earlier hidden ones, such as the second of
    /// audio before a cut made without re-encoding, are never shown: copied, they would play
    /// before the picture starts.
    private func isPreRoll(_ packet: borrowing Packet) -> Bool {
        let raw = packet.pointer.pointee
        let start = input.stream(Int(raw.stream_index)).pointee.start_time
        guard start != av1d_nopts_value(), raw.pts != av1d_nopts_value() else { return true }
        return raw.pts + 2 * max(raw.duration, 0) > start
    }

    private var segmentComplete: Bool {
        pastWindow || window.map { report.framesDecoded >= $0.frames } ?? false
    }

    /// Gives the frame a strictly increasing presentation time and a duration, both in the
    /// source stream's time base, so variable frame rates survive exactly.
    private mutating func stampTime(on frame: borrowing Frame) {
        let picture = frame.pointer
        var pts = picture.pointee.best_effort_timestamp
        if pts == av1d_nopts_value() { pts = (lastPts ?? 0) + lastDuration }
        if let lastPts, pts <= lastPts {
            pts = lastPts + 1
            report.repairedTimestamps += 1
        }
        let duration = picture.pointee.pkt_duration > 0 ? picture.pointee.pkt_duration : nominalFrameDuration
        picture.pointee.pts = pts
        picture.pointee.pkt_duration = duration
        picture.pointee.pict_type = AV_PICTURE_TYPE_NONE
        lastPts = pts
        lastDuration = duration
    }
}

/// `EncodeSettings.segment` in the video stream's terms: pictures before the start are decoded
/// (to reach it from the keyframe before) but not handed on, and reading ends after `frames`.
struct SegmentWindow {
    /// Where to seek, in `AV_TIME_BASE` units; nil when the segment starts with the file.
    let seekTarget: Int64?
    /// The first picture handed on is the first at or after this, in the video stream's time base.
    let startPts: Int64
    /// Pictures at or after this are left out (a chunk's end: the next chunk's keyframe); nil for no end.
    let endPts: Int64?
    let frames: Int

    init(_ segment: Segment, input: borrowing MediaInput, videoIndex: Int) {
        // Like ffmpeg's -ss, the start counts from the file's own start time: the seek is in the
        // file's clock, the pictures' times are on the timeline that starts at 0 (SourceTimeline).
        let fileStart = input.context.pointee.start_time == av1d_nopts_value() ? 0 : input.context.pointee.start_time
        let start = Int64((segment.start * Double(AV_TIME_BASE)).rounded())
        seekTarget = segment.start > 0 ? fileStart + start : nil
        startPts = av_rescale_q(start, av1d_time_base_q(), input.stream(videoIndex).pointee.time_base)
        frames = segment.frames
        endPts = nil
    }

    /// The pictures with presentation times in [startPts, endPts) (video time base, on the
    /// `SourceTimeline`), read from the keyframe at or before `startPts`: one chunk of a title.
    init(startPts: Int64, endPts: Int64?, input: borrowing MediaInput, videoIndex: Int) {
        let fileStart = input.context.pointee.start_time == av1d_nopts_value() ? 0 : input.context.pointee.start_time
        seekTarget = startPts > 0 ? fileStart + av_rescale_q(startPts, input.stream(videoIndex).pointee.time_base, av1d_time_base_q()) : nil
        self.startPts = startPts
        self.endPts = endPts
        frames = Int.max
    }

    /// Moves the demuxer to the last keyframe at or before the start. A file that cannot seek is
    /// read from its beginning instead: the start is reached all the same, only later.
    func seek(_ input: borrowing MediaInput) {
        guard let seekTarget else { return }
        _ = avformat_seek_file(input.context, -1, Int64.min, seekTarget, seekTarget, 0)
    }

    /// Whether a picture at `pts` is handed on, given how many already were.
    func admits(pts: Int64, handedOn: Int) -> Bool {
        pts >= startPts && handedOn < frames && !isPast(pts: pts)
    }

    /// Whether a picture at `pts` lies at or past the window's end.
    func isPast(pts: Int64) -> Bool {
        endPts.map { pts >= $0 } ?? false
    }
}
