import CFFmpeg

/// Looks inside a file before any encode is planned: container facts, plus the first decoded
/// picture, which is where HDR10+ dynamic metadata shows.
public enum MediaProbe {
    public static func inspect(path: String) throws(EncodeError) -> SourceInfo {
        LibraryLogs.configure(verbose: false)
        let input = try MediaInput(path: path)
        var info = SourceInfo(input)
        guard let videoIndex = info.videoIndex, info.dynamicHDR == nil, !info.isAV1 else { return info }
        let stream = input.stream(videoIndex)
        let decoder = try VideoDecoder(stream: stream, threads: 1)
        let packet = try Packet()
        let frame = try Frame()
        // A few dozen packets are enough for the first picture of any sane file.
        for _ in 0..<200 {
            guard case .packet = input.read(into: packet) else { break }
            defer { packet.unref() }
            guard packet.streamIndex == videoIndex else { continue }
            _ = decoder.send(packet)
            if case .frame = (try? decoder.receive(into: frame)) ?? .needsInput {
                info.dynamicHDR = HDRMetadata.dynamicKind(of: frame, source: stream)
                if let display = HDRMetadata.masteringDisplay(of: frame, source: stream) {
                    info.hasMasteringDisplay = MasteringDisplay(display) != nil
                }
                return info
            }
        }
        return info
    }
}

/// The independent check of a finished encode: every video frame decodes with libdav1d
/// (not the encoder's own library), the frame count and duration match the source, and
/// the streams the engine promised are there.
public enum OutputVerifier {
    public struct Report: Sendable, Codable {
        public var frames: Int
        public var durationSeconds: Double
        public var streamKinds: [String]
        public var decoder: String
    }

    public static func verify(path: String, expectedFrames: Int, expectedDurationSeconds: Double,
                              expectedStreamKinds: [String],
                              progress: (Int) -> Void = { _ in }) throws(EncodeError) -> Report {
        LibraryLogs.configure(verbose: false)
        let input = try MediaInput(path: path)
        let info = SourceInfo(input)
        let kinds = info.streams.map { $0.isAttachedPicture ? "attachment" : $0.kind.rawValue }
        guard kinds == expectedStreamKinds else {
            throw .output("streams \(kinds) differ from the expected \(expectedStreamKinds)")
        }
        guard let videoIndex = info.videoIndex, info.isAV1 else { throw .output("no AV1 video stream") }
        let stream = input.stream(videoIndex)
        let decoder = try VideoDecoder(stream: stream, threads: 0, preferring: "libdav1d")
        let packet = try Packet()
        let frame = try Frame()
        var frames = 0
        var first: Int64?
        var end: Int64 = 0
        func take() throws(EncodeError) -> Bool {
            while true {
                let output: VideoDecoder.Output
                do { output = try decoder.receive(into: frame) } catch { throw .output("frame \(frames + 1) does not decode: \(error.message)") }
                guard case .frame = output else { return output == .endOfStream }
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
                if packet.streamIndex == videoIndex, let failure = decoder.send(packet) {
                    throw .output("packet does not decode: \(failure.message)")
                }
                packet.unref()
                _ = try take()
            case .endOfFile: break reading
            case .failed(let failure): throw .output("read error after \(frames) frames: \(failure.message)")
            }
        }
        decoder.sendEndOfStream()
        _ = try take()
        let duration = Double(end - (first ?? 0)) * av_q2d(stream.pointee.time_base)
        guard frames == expectedFrames else { throw .output("\(frames) frames decode, expected \(expectedFrames)") }
        let frameTime = info.frameRate > 0 ? 1 / info.frameRate : 0.05
        guard abs(duration - expectedDurationSeconds) <= max(frameTime, 0.002) + 0.002 else {
            throw .output("duration \(duration) s, expected \(expectedDurationSeconds) s")
        }
        return Report(frames: frames, durationSeconds: duration, streamKinds: kinds,
                      decoder: String(cString: decoder.context.pointee.codec.pointee.name))
    }
}
