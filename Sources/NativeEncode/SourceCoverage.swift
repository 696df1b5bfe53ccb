import CFFmpeg

/// The stretch of time a read covered, over the packets of every stream.
struct ReadSpan: Sendable {
    private(set) var start: Double?
    private(set) var end: Double?
    /// The longest audio packet read: the grain some headers (ASF) round the file's length to.
    private(set) var longestAudioPacket = 0.0

    mutating func note(_ packet: borrowing Packet, in stream: UnsafeMutablePointer<AVStream>) {
        let raw = packet.pointer.pointee
        let time = raw.pts != av1d_nopts_value() ? raw.pts : raw.dts
        guard time != av1d_nopts_value() else { return }
        let timeBase = av_q2d(stream.pointee.time_base)
        let duration = raw.duration > 0 ? Double(raw.duration) * timeBase : Self.nominalDuration(of: stream)
        let begins = Double(time) * timeBase
        start = min(start ?? begins, begins)
        end = max(end ?? begins + duration, begins + duration)
        if stream.parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO { longestAudioPacket = max(longestAudioPacket, duration) }
    }

    /// From `origin` (the declared start, when the source has one) or the first packet to the last end.
    func seconds(from origin: Double?) -> Double {
        guard let start, let end else { return 0 }
        return end - (origin ?? start)
    }

    /// How far a length measured from packets may differ from a header's: one frame, plus one
    /// audio packet (ASF headers round to packets), plus rounding of the time bases.
    func lengthTolerance(frameSeconds: Double) -> Double {
        SourceCoverage.tolerance(frameSeconds: frameSeconds) + longestAudioPacket
    }

    /// A packet's length when the container does not store it (ASF and AVI video, for one):
    /// one frame at the stream's rate, or one audio frame.
    private static func nominalDuration(of stream: UnsafeMutablePointer<AVStream>) -> Double {
        let parameters = stream.parameters.pointee
        let rate = stream.pointee.avg_frame_rate
        switch parameters.codec_type {
        case AVMEDIA_TYPE_VIDEO where rate.num > 0 && rate.den > 0: return 1 / av_q2d(rate)
        case AVMEDIA_TYPE_AUDIO where parameters.frame_size > 0 && parameters.sample_rate > 0:
            return Double(parameters.frame_size) / Double(parameters.sample_rate)
        default: return 0
        }
    }
}

extension MediaInput {
    /// How far into the file the demuxer has read, in percent of its bytes; nil without a byte stream.
    var percentRead: Int? {
        guard let io = context.pointee.pb else { return nil }
        let size = avio_size(io)
        return size > 0 ? Int(min(100, avio_tell(io) * 100 / size)) : nil
    }

    /// The error the byte reader recorded. Some demuxers report a failed read as the end of the
    /// file; this tells the two apart.
    var ioError: AVFailure? {
        guard let code = context.pointee.pb?.pointee.error, code < 0 else { return nil }
        return AVFailure(code: code, operation: "reading \(path)")
    }

    /// What a read failure means for the job: the source could not be read to its end.
    func readFailure(_ failure: AVFailure) -> EncodeError {
        .incompleteSource(.readError(percent: percentRead, message: failure.message))
    }
}

/// The encode's read of the source held against what the source declares (`SourceFacts`, read
/// through an open of its own). An output of a read that lost frames or ended before the
/// declared end would replace a title with less of it.
struct SourceCoverage {
    let facts: SourceFacts
    let videoIndex: Int
    /// One frame of the video, the tolerance of every comparison of lengths.
    let frameSeconds: Double

    /// Broken packets or frames a long, slightly damaged file may lose: one in ten thousand.
    static func tolerableLosses(frames: Int) -> Int { max(1, frames / 10_000) }

    /// Video lengths agree when they differ by at most one frame (plus rounding of the time bases).
    static func tolerance(frameSeconds: Double) -> Double { frameSeconds + 0.002 }

    func check(_ report: DecodeReport) throws(EncodeError) {
        if report.corruptPackets > Self.tolerableLosses(frames: report.framesDecoded) {
            throw .incompleteSource(.decodeErrors(lost: report.corruptPackets, frames: report.framesDecoded))
        }
        let decodable = report.span.seconds(from: facts.startSeconds)
        if let declared = facts.declaredSeconds, decodable < declared - report.span.lengthTolerance(frameSeconds: frameSeconds) {
            throw .incompleteSource(.truncated(decodableSeconds: decodable, declaredSeconds: declared))
        }
        if let declared = facts.stream(videoIndex)?.frameCount, report.videoPackets < declared - 1 {
            throw .incompleteSource(.missingFrames(read: report.videoPackets, declared: declared))
        }
    }
}
