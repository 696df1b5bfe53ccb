import CFFmpeg
import Foundation
import LinuxSupport

/// Turns one media file into an AV1 Matroska file, in process:
/// demux → decode → convert (decode thread) → encode → mux (calling thread) → sync → rename.
public struct Transcoder: Sendable {
    public var settings: EncodeSettings

    public init(settings: EncodeSettings) {
        self.settings = settings
    }

    /// Encodes `inputPath` into `outputPath`. The output appears only complete and synced;
    /// on any failure nothing is left at `outputPath` and the input is untouched.
    /// `chunkFolder` keeps the finished chunks of a chunked encode (`settings.chunks`) for a later
    /// run with the same folder to resume from; without it chunks live only while this runs.
    public func encode(input inputPath: String, output outputPath: String, overwrite: Bool = false,
                       observer: ProgressObserver? = nil, stop: StopFlag = StopFlag(),
                       chunkFolder: String? = nil) throws(EncodeError) -> EncodeSummary {
        try OutputTarget.check(input: inputPath, output: outputPath, overwrite: overwrite)
        LibraryLogs.configure(verbose: settings.verbose)
        // Freed frame-sized buffers go back to the kernel instead of staying in malloc's arenas
        // (process-wide, as the confinement below): about 30% less peak memory, same bytes out.
        MallocPolicy.returnLargeBlocksWhenFreed()
        // Confine the job first: every thread created from here on (decoder, encoder) inherits it.
        if let cpus = settings.cpus { try EncodeError.system { () throws(SystemError) in try CPUAffinity.confineProcess(to: cpus) } }
        let cpus = settings.cpus ?? CPUAffinity.current()
        switch try ChunkedRun.start(input: inputPath, output: outputPath, settings: settings, cpus: cpus,
                                    folder: chunkFolder, observer: observer, stop: stop) {
        case .whole(let note):
            var summary = try encodeWhole(input: inputPath, output: outputPath, cpus: cpus, observer: observer, stop: stop)
            if let note { summary.notes.append(note) }
            return summary
        case .chunked(let run):
            do throws(EncodeError) {
                var summary: EncodeSummary
                do throws(EncodeError) {
                    summary = try encodeWhole(input: inputPath, output: outputPath, cpus: cpus, observer: nil, stop: stop,
                                              chunks: run.board)
                } catch {
                    guard let misfit = run.board.timingMisfit, run.board.mismatch == nil, !stop.isRaised else { throw error }
                    summary = try encodeWhole(input: inputPath, output: outputPath, cpus: cpus, observer: nil, stop: stop,
                                              chunks: run.board, joinDecodes: true)
                    summary.notes.append("the join decoded the video again: the chunks' pictures did not match the source's packet times (\(misfit))")
                }
                run.end(succeeded: true)
                // The workers are processes of their own: their memory is this title's too.
                summary.peakRSSBytes += run.workersPeakRSSBytes
                summary.notes += [run.note, "encoded in \(run.board.plan.count) chunks by \(run.workers) worker\(run.workers == 1 ? "" : "s")"].compactMap { $0 }
                summary.notes += run.board.retries
                return summary
            } catch {
                run.end(succeeded: false)
                guard let mismatch = run.board.mismatch, !stop.isRaised else { throw error }
                var oneShot = self
                oneShot.settings.chunks = .off
                var summary = try oneShot.encodeWhole(input: inputPath, output: outputPath, cpus: cpus, observer: observer, stop: stop)
                summary.notes.append("encoded in one piece: the chunks did not fit the source (\(mismatch))")
                return summary
            }
        }
    }

    /// The one pass that reads the whole source and writes the title: encoding the video itself,
    /// or joining the encoded chunks of `chunks`, by the source's packet times or, with
    /// `joinDecodes`, against every decoded picture.
    private func encodeWhole(input inputPath: String, output outputPath: String, cpus: CPUSet, observer: ProgressObserver?,
                             stop: StopFlag, chunks: ChunkBoard? = nil, joinDecodes: Bool = false) throws(EncodeError) -> EncodeSummary {
        let threads = settings.threads ?? max(cpus.count, 1)

        // What the source declares, through an open of its own: the measure of the encode's read.
        let declared = try SourceFacts(path: inputPath, stop: stop)
        // The stop flag also reaches inside libavformat, so a stalled read (a hung NAS) can be cancelled.
        let input = try MediaInput(path: inputPath, stop: stop)
        let source = SourceInfo(input)
        guard let videoIndex = source.videoIndex else { throw .nothingToDo(.noVideoStream) }
        if source.isAV1 { throw .nothingToDo(.alreadyAV1) }

        let temporaryPath = OutputTarget.temporaryPath(for: outputPath)
        defer { unlink(temporaryPath) }
        let plan = StreamPlan(input, videoIndex: videoIndex)
        let converters = try StreamConverters(plan, input: input)
        let muxer = try MatroskaOutput(path: temporaryPath)
        let mapping = try OutputLayout.build(plan, input: input, output: muxer, converters: converters)
        var fates = StreamFate.account(plan, mapping: mapping, input: input, output: muxer)
        let videoStream = input.stream(videoIndex)
        let timeBases = (0..<input.streamCount).map { input.stream($0).pointee.time_base }
        let frameRate = SourceInfo.nominalFrameRate(of: videoStream)
        let frameDuration = av_rescale_q(1, AVRational(num: frameRate.den, den: frameRate.num), videoStream.pointee.time_base)

        let reading: VideoReading = chunks != nil && !joinDecodes ? .timesAfterFirstPicture : .pictures
        // A join by packet times decodes one picture: a decoder thread per CPU would only hold memory.
        let decoder = try VideoDecoder(stream: videoStream, threads: reading == .pictures ? 0 : 1)
        var session = MuxSession(muxer: muxer, mapping: mapping, inputTimeBases: timeBases, videoInputIndex: videoIndex,
                                 meter: ProgressMeter(framesTotal: settings.segment?.frames ?? source.estimatedFrames,
                                                      observer: observer))
        let stage = DecodeStage(input: input, decoder: decoder, converter: PixelConverter(bitDepth: settings.bitDepth),
                                converters: converters, videoIndex: videoIndex, copiedStreams: plan.copiedStreams,
                                nominalFrameDuration: frameDuration, segment: settings.segment,
                                deinterlace: settings.deinterlace,
                                reading: reading)

        // The stage owns the input; its stream pointers are read by this thread too (HDR side data,
        // rates), so it lives until the decode thread is joined and this function returns.
        let decoding = DecodeThread(stage, depth: settings.queueDepth, name: "av1d-decode", stop: stop)
        let queue = decoding.queue
        defer { decoding.close() }

        var report = DecodeReport()
        var notes = plan.notes
        let resolved = try encodeAll(queue: queue, session: &session, source: source, videoStream: videoStream,
                                     frameRate: frameRate, threads: threads, chunks: chunks, reading: reading, stop: stop,
                                     report: &report, notes: &notes)
        // A segment is part of the source by request; a whole encode must have read all of it.
        if settings.segment == nil {
            try SourceCoverage(facts: declared, videoIndex: videoIndex, frameSeconds: 1 / av_q2d(frameRate)).check(report)
        }
        try session.finish()
        decoding.join()
        try EncodeError.system { () throws(SystemError) in
            try DurableFile.sync(temporaryPath)
            try DurableFile.rename(temporaryPath, to: outputPath)
        }

        if session.hasCaptionTrack { fates.append(.extractedCaptions(from: videoIndex)) }
        notes += report.pictureNotes
        if report.corruptPackets > 0 { notes.append("\(report.corruptPackets) corrupt video packets or frames skipped") }
        if report.repairedTimestamps > 0 { notes.append("\(report.repairedTimestamps) out-of-order timestamps repaired") }
        for jump in report.timestampJumps {
            notes.append(String(format: "source clock jumped by %+.3f s at %.3f s (joined recording?): the later part follows on", jump.bySeconds, jump.atSeconds))
        }
        if report.captionedFrames > 0 {
            notes.append(session.hasCaptionTrack
                ? "closed captions (CEA-608, CC1) in the video extracted to an SRT subtitle track: AV1 in Matroska cannot carry them in the picture"
                : "closed captions (CEA-608/708) in \(report.captionedFrames) video frames are lost: they start after the first picture, and AV1 in Matroska cannot carry them")
        }
        let wall = session.meter.elapsed
        return EncodeSummary(
            input: inputPath, output: outputPath, encoder: resolved.name, preset: resolved.config.preset,
            crf: resolved.config.crf, bitDepth: settings.bitDepth, threads: threads, cpus: cpus,
            width: resolved.config.width, height: resolved.config.height,
            framesDecoded: report.framesDecoded, framesEncoded: session.framesEncoded,
            durationSeconds: session.durationSeconds, wallSeconds: wall,
            fps: wall > 0 ? Double(session.framesEncoded) / wall : 0,
            inputBytes: OutputTarget.size(of: inputPath), outputBytes: OutputTarget.size(of: outputPath),
            peakRSSBytes: ProcessMemory.peakRSS(), peakQueuedFrameBytes: queue.peakHeldBytes,
            streamKinds: StreamAccounting.outputOrder(fates).compactMap(\.outputKind), source: declared, streams: plan.decisions, fates: fates, notes: notes)
    }

    /// Takes items until the first picture (which decides the encoder), then runs the encoder.
    private func encodeAll(queue: HandoffQueue<PipelineItem>, session: inout MuxSession, source: SourceInfo,
                           videoStream: UnsafeMutablePointer<AVStream>, frameRate: AVRational, threads: Int,
                           chunks: ChunkBoard?, reading: VideoReading, stop: StopFlag, report: inout DecodeReport, notes: inout [String]) throws(EncodeError) -> (name: String, config: VideoEncoderConfig) {
        // The times of the video packets read before the first picture came out (a join by packet times).
        var times = PacketTimes()
        while true {
            guard let item = queue.pop() else { throw .cancelled }
            switch consume item {
            case .passthrough(let packet):
                try session.passthrough(packet)
            case .videoTime(let pts):
                times.insert(pts)
            case .failed(let error):
                throw error
            case .finished:
                throw .unreadableInput("no video frame could be decoded")
            case .picture(let first):
                let config = encoderConfig(for: first, source: source, videoStream: videoStream, frameRate: frameRate, threads: threads)
                if let display = config.masteringDisplay, !display.isComplete {
                    notes.append("HDR mastering display metadata has only its \(display.luminance != nil ? "luminance" : "primaries"): "
                                 + "kept in the Matroska colour elements, left out of the AV1 metadata OBU (which needs both)")
                }
                if let dynamic = HDRMetadata.dynamicKind(of: first, source: videoStream) {
                    notes.append("\(dynamic.rawValue) dynamic metadata cannot be carried over; the output keeps HDR10 static metadata only")
                }
                let useSvt = switch settings.encoder {
                case .aom: false
                case .svt, .auto: SvtEncoder.accepts(width: config.width, height: config.height)
                }
                if !useSvt && settings.encoder == .svt {
                    notes.append("SVT-AV1 cannot encode \(config.width)x\(config.height) (needs even sizes of at least 64); libaom used")
                }
                if let chunks {
                    var replay = try ChunkReplay(board: chunks)
                    if reading == .pictures {
                        try run(&replay, first: first, queue: queue, session: &session, source: videoStream, stop: stop, report: &report)
                    } else {
                        // Closed captions go to their own track from every decoded picture: only decoding finds them.
                        if first.sideData(AV_FRAME_DATA_A53_CC) != nil { throw chunks.misfit("the pictures carry closed captions") }
                        try join(&replay, first: first, times: times, queue: queue, session: &session, source: videoStream,
                                 stop: stop, report: &report)
                    }
                    return (replay.name, config)
                } else if useSvt {
                    var encoder = try SvtEncoder(config)
                    try run(&encoder, first: first, queue: queue, session: &session, source: videoStream, stop: stop, report: &report)
                    return (encoder.name, config)
                } else {
                    var encoder = try AomEncoder(config)
                    try run(&encoder, first: first, queue: queue, session: &session, source: videoStream, stop: stop, report: &report)
                    return (encoder.name, config)
                }
            }
        }
    }

    private func run<Encoder: AV1Encoder & ~Copyable>(_ encoder: inout Encoder, first: consuming Frame,
                                                      queue: HandoffQueue<PipelineItem>, session: inout MuxSession,
                                                      source: UnsafeMutablePointer<AVStream>,
                                                      stop: StopFlag, report: inout DecodeReport) throws(EncodeError) {
        try session.start(sequenceHeader: encoder.sequenceHeader, first: first, source: source)
        var index: Int64 = 0
        try encodePicture(first, with: &encoder, index: &index, session: &session)
        while true {
            guard let item = queue.pop() else { throw .cancelled }
            if stop.isRaised { throw .cancelled }
            switch consume item {
            case .picture(let picture): try encodePicture(picture, with: &encoder, index: &index, session: &session)
            case .passthrough(let packet): try session.passthrough(packet)
            case .videoTime: throw .encoder("the encoder was handed a packet time in place of a picture")
            case .failed(let error): throw error
            case .finished(let decodeReport):
                report = decodeReport
                try encoder.finish { (packet) throws(EncodeError) in try session.writeVideo(packet) }
                return
            }
        }
    }

    /// The join by packet times: the chunks' pictures, matched with the source's video packets,
    /// in place of decoding and encoding the video (`VideoReading.timesAfterFirstPicture`).
    private func join(_ replay: inout ChunkReplay, first: consuming Frame, times: PacketTimes,
                      queue: HandoffQueue<PipelineItem>, session: inout MuxSession, source: UnsafeMutablePointer<AVStream>,
                      stop: StopFlag, report: inout DecodeReport) throws(EncodeError) {
        try session.start(sequenceHeader: replay.sequenceHeader, first: first, source: source)
        var times = times
        var index: Int64 = 0
        var ending = false
        while true {
            for unit in try replay.match(&times, ending: ending) {
                session.willEncode(index: index, pts: unit.pts, duration: unit.duration)
                try session.writeVideo(EncodedPacket(bytes: unit.bytes, index: index, isKeyframe: unit.isKeyframe))
                index += 1
            }
            if ending {
                // The chunk workers decoded every picture; the decoder here only the first.
                report.framesDecoded = Int(index)
                return
            }
            guard let item = queue.pop() else { throw .cancelled }
            if stop.isRaised { throw .cancelled }
            switch consume item {
            case .videoTime(let pts): times.insert(pts)
            case .passthrough(let packet): try session.passthrough(packet)
            case .picture: throw .encoder("the join by packet times was handed a second picture")
            case .failed(let error): throw error
            case .finished(let decodeReport):
                report = decodeReport
                ending = true
            }
        }
    }

    private func encodePicture<Encoder: AV1Encoder & ~Copyable>(_ picture: consuming Frame, with encoder: inout Encoder,
                                                                index: inout Int64, session: inout MuxSession) throws(EncodeError) {
        session.willEncode(index: index, pts: picture.pointer.pointee.pts, duration: picture.pointer.pointee.pkt_duration)
        try encoder.send(picture, index: index)
        index += 1
        try encoder.drain { (packet) throws(EncodeError) in try session.writeVideo(packet) }
    }

    package func encoderConfig(for frame: borrowing Frame, source: SourceInfo, videoStream: UnsafeMutablePointer<AVStream>,
                       frameRate: AVRational, threads: Int) -> VideoEncoderConfig {
        let picture = frame.pointer.pointee
        let fps = av_q2d(frameRate)
        return VideoEncoderConfig(
            width: frame.width, height: frame.height, bitDepth: settings.bitDepth, frameRate: frameRate,
            preset: settings.resolvedPreset(height: frame.height), crf: settings.resolvedCRF(height: frame.height),
            keyframeInterval: settings.resolvedKeyframeInterval(framesPerSecond: fps),
            hierarchicalLevels: settings.hierarchicalLevels, threads: threads, filmGrain: settings.filmGrain,
            color: ColorDescription(primaries: Int32(picture.color_primaries.rawValue), transfer: Int32(picture.color_trc.rawValue),
                                    matrix: Int32(picture.colorspace.rawValue), range: Int32(picture.color_range.rawValue)),
            chromaLocation: picture.chroma_location,
            masteringDisplay: HDRMetadata.masteringDisplay(of: frame, source: videoStream).flatMap(MasteringDisplay.init),
            contentLight: HDRMetadata.contentLight(of: frame, source: videoStream)
                .map { ContentLightLevel(maxCLL: Int($0.MaxCLL), maxFALL: Int($0.MaxFALL)) })
    }
}

/// A decode stage running on its own thread into a bounded queue. The stage (and the input it
/// owns) lives as long as this object, so stream pointers taken before it started stay valid.
final class DecodeThread: @unchecked Sendable {
    let queue: HandoffQueue<PipelineItem>
    private let stage: SharedOwner<DecodeStage>
    private let thread: PipelineThread

    init(_ stage: consuming DecodeStage, depth: Int, name: String, stop: StopFlag) {
        let queue = HandoffQueue<PipelineItem>(capacity: max(depth, 1))
        let owner = SharedOwner(stage)
        self.queue = queue
        self.stage = owner
        thread = PipelineThread(name: name) { owner.withValue { $0.run(into: queue, stop: stop) } }
    }

    /// Waits for the stage to end on its own (after it handed on `.finished`).
    func join() { thread.join() }

    /// Stops taking items (the stage ends quietly) and waits for the thread.
    func close() {
        queue.close()
        thread.join()
    }
}

/// A dedicated OS thread (not the cooperative pool: decoding blocks) that can be joined.
package final class PipelineThread: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var joined = false

    package init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            body()
            finished.signal()
        }
        thread.name = name
        // FFmpeg's decoders can use deep stacks when they decode on the calling thread.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits for the thread's body to return; later calls return at once.
    package func join() {
        lock.lock()
        defer { lock.unlock() }
        guard !joined else { return }
        finished.wait()
        joined = true
    }
}
