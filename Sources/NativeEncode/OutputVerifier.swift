import CFFmpeg

/// The independent check of a finished encode, made before anything replaces the source:
/// every video frame decodes with libdav1d (not the encoder's library); the output holds what
/// the *source declares* (`SourceFacts`: frame count, video and file length, within one frame),
/// not merely what the encode managed to read; and every source stream is accounted for.
public enum OutputVerifier {
    public struct Report: Sendable, Codable {
        public var frames: Int
        public var durationSeconds: Double
        /// The output's length over all its streams, from the first packet's start to the last one's end.
        public var lengthSeconds: Double?
        public var streamKinds: [String]
        public var decoder: String
    }

    public static func verify(path: String, summary: EncodeSummary,
                              progress: (Int) -> Void = { _ in }) throws(EncodeError) -> Report {
        LibraryLogs.configure(verbose: false)
        let input = try MediaInput(path: path)
        let info = SourceInfo(input)
        try StreamAccounting.check(summary.fates, source: summary.source, output: info.streams)
        guard let videoIndex = info.videoIndex, info.isAV1 else { throw .output("no AV1 video stream") }
        let readBack = try OutputReadBack(input, videoIndex: videoIndex, progress: progress)
        try StreamAccounting.checkContent(summary.fates, source: summary.source, packets: readBack.packets)

        let frameSeconds = info.frameRate > 0 ? 1 / info.frameRate : 0.05
        let tolerance = SourceCoverage.tolerance(frameSeconds: frameSeconds)
        guard readBack.frames == summary.framesDecoded else {
            throw .output("\(readBack.frames) frames decode, \(summary.framesDecoded) were encoded")
        }
        guard abs(readBack.videoSeconds - summary.durationSeconds) <= tolerance else {
            throw .output("video lasts \(readBack.videoSeconds) s, \(summary.durationSeconds) s were encoded")
        }
        try DeclaredLength(source: summary.source, fates: summary.fates, tolerance: tolerance,
                           lengthTolerance: readBack.span.lengthTolerance(frameSeconds: frameSeconds))
            .check(videoSeconds: readBack.videoSeconds, lengthSeconds: readBack.span.seconds(from: nil))
        return Report(frames: readBack.frames, durationSeconds: readBack.videoSeconds, lengthSeconds: readBack.span.seconds(from: nil),
                      streamKinds: info.streams.map(\.readBackKind),
                      decoder: readBack.decoder)
    }
}

/// The output compared with the lengths the source declares. Where it declares none (MPEG-TS),
/// the encode's clean read to the end of the file is the guarantee (`SourceCoverage`).
struct DeclaredLength {
    let source: SourceFacts
    let fates: [StreamFate]
    /// For the video's length: one frame.
    let tolerance: Double
    /// For the file's length: one frame and one audio packet (`ReadSpan.lengthTolerance`).
    let lengthTolerance: Double

    func check(videoSeconds: Double, lengthSeconds: Double) throws(EncodeError) {
        let video = fates.first { $0.outcome == .encoded }.flatMap { source.stream($0.sourceIndex) }
        if let declared = video?.durationSeconds, abs(videoSeconds - declared) > tolerance {
            throw .output("video lasts \(Self.format(videoSeconds)) s, the source declares \(Self.format(declared)) s")
        }
        guard let declared = source.declaredSeconds else { return }
        let tooShort = lengthSeconds < declared - lengthTolerance
        // The output may run longer by the audio codec's start-up delay: MP4 hides those priming
        // samples behind an edit list, Matroska shows them.
        let tooLong = lengthSeconds > declared + lengthTolerance + Self.codecDelayAllowance
        // A dropped stream (by a stated rule) may be what reached the declared end; then the
        // encode's read of the whole file (`SourceCoverage`) is what shows nothing was cut short.
        let carriesAll = fates.allSatisfy(\.isInOutput)
        if tooLong || (tooShort && carriesAll) {
            throw .output("output lasts \(Self.format(lengthSeconds)) s, the source declares \(Self.format(declared)) s")
        }
    }

    /// The longest audio priming seen in practice (AAC: 2048 samples at 44.1 kHz is 46 ms), with room.
    static let codecDelayAllowance = 0.1

    static func format(_ seconds: Double) -> String { "\((seconds * 1000).rounded() / 1000)" }
}

/// One pass over the output: every video frame decoded with libdav1d, every packet counted.
private struct OutputReadBack {
    var frames = 0
    var videoSeconds = 0.0
    var span = ReadSpan()
    var packets: [Int]
    var decoder = ""

    init(_ input: borrowing MediaInput, videoIndex: Int, progress: (Int) -> Void) throws(EncodeError) {
        packets = Array(repeating: 0, count: input.streamCount)
        let stream = input.stream(videoIndex)
        let decoder = try VideoDecoder(stream: stream, threads: 0, preferring: "libdav1d")
        self.decoder = String(cString: decoder.context.pointee.codec.pointee.name)
        let packet = try Packet()
        let frame = try Frame()
        var first: Int64?
        var end: Int64 = 0
        func take() throws(EncodeError) {
            while true {
                let output: VideoDecoder.Output
                do { output = try decoder.receive(into: frame) } catch { throw .output("frame \(frames + 1) does not decode: \(error.message)") }
                guard case .frame = output else { return }
                frames += 1
                // Reported every 250 frames: a long verify is progress, not a stall.
                if frames % 250 == 0 { progress(frames) }
                let pts = frame.pointer.pointee.best_effort_timestamp
                if first == nil { first = pts }
                end = max(end, pts + max(frame.pointer.pointee.pkt_duration, 0))
                av_frame_unref(frame.pointer)
            }
        }
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                packets[packet.streamIndex] += 1
                span.note(packet, in: input.stream(packet.streamIndex))
                if packet.streamIndex == videoIndex, let failure = decoder.send(packet) {
                    throw .output("packet does not decode: \(failure.message)")
                }
                packet.unref()
                try take()
            case .endOfFile:
                if let failure = input.ioError { throw .output("read error after \(frames) frames: \(failure.message)") }
                break reading
            case .failed(let failure): throw .output("read error after \(frames) frames: \(failure.message)")
            }
        }
        decoder.sendEndOfStream()
        try take()
        videoSeconds = Double(end - (first ?? 0)) * av_q2d(stream.pointee.time_base)
    }
}

extension SourceStream {
    /// How the stream reads back from Matroska: cover art comes back as an attached picture.
    var readBackKind: String { isAttachedPicture ? "attachment" : kind.rawValue }
}
