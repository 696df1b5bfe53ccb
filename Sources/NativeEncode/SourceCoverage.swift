import CFFmpeg

/// The stretch of time an encode's read covered, over the packets of every stream.
struct ReadSpan: Sendable {
    private(set) var start: Double?
    private(set) var end: Double?

    mutating func note(_ packet: borrowing Packet, timeBase: AVRational) {
        let raw = packet.pointer.pointee
        let time = raw.pts != av1d_nopts_value() ? raw.pts : raw.dts
        guard time != av1d_nopts_value() else { return }
        let begins = Double(time) * av_q2d(timeBase)
        let ends = Double(time + max(raw.duration, 0)) * av_q2d(timeBase)
        start = min(start ?? begins, begins)
        end = max(end ?? ends, ends)
    }

    /// From `origin` (the declared start, when the source has one) or the first packet to the last end.
    func seconds(from origin: Double?) -> Double {
        guard let start, let end else { return 0 }
        return end - (origin ?? start)
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

    /// Lengths agree when they differ by at most one frame (plus rounding of the time bases).
    static func tolerance(frameSeconds: Double) -> Double { frameSeconds + 0.002 }

    func check(_ report: DecodeReport) throws(EncodeError) {
        if report.corruptPackets > Self.tolerableLosses(frames: report.framesDecoded) {
            throw .incompleteSource(.decodeErrors(lost: report.corruptPackets, frames: report.framesDecoded))
        }
        let decodable = report.span.seconds(from: facts.startSeconds)
        if let declared = facts.declaredSeconds, decodable < declared - Self.tolerance(frameSeconds: frameSeconds) {
            throw .incompleteSource(.truncated(decodableSeconds: decodable, declaredSeconds: declared))
        }
        if let declared = facts.stream(videoIndex)?.frameCount, report.videoPackets < declared - 1 {
            throw .incompleteSource(.missingFrames(read: report.videoPackets, declared: declared))
        }
    }
}
