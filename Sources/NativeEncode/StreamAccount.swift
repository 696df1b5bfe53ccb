import CFFmpeg

/// What became of one source stream in the output. Every source stream has one; the verifier
/// holds the output to these, so a stream cannot disappear without a stated reason.
public struct StreamFate: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// The main picture, re-encoded to AV1.
        case encoded
        /// Copied packet for packet: same kind, same codec.
        case kept
        /// Carried in another form (mov_text as SRT, cover art as an attachment, re-encoded audio).
        case converted
        /// Left out by one of the engine's stated rules (`reason`).
        case dropped
        /// A track the engine made from part of a source stream (closed captions in the video),
        /// in addition to that stream's own fate.
        case extracted
    }

    public var sourceIndex: Int
    public var outcome: Outcome
    /// What the output stream reads back as ("audio", "subtitle"...); nil when dropped.
    public var outputKind: String?
    /// Its codec as libavcodec names it ("av1", "aac", "subrip"...); nil when dropped.
    public var outputCodec: String?
    /// The rule that dropped it.
    public var reason: String?

    public init(sourceIndex: Int, outcome: Outcome, outputKind: String? = nil, outputCodec: String? = nil, reason: String? = nil) {
        self.sourceIndex = sourceIndex
        self.outcome = outcome
        self.outputKind = outputKind
        self.outputCodec = outputCodec
        self.reason = reason
    }

    public var isInOutput: Bool { outcome != .dropped }

    /// The SRT track made of the CEA-608 captions inside the video.
    static func extractedCaptions(from videoIndex: Int) -> StreamFate {
        StreamFate(sourceIndex: videoIndex, outcome: .extracted, outputKind: SourceStream.Kind.subtitle.rawValue,
                   outputCodec: "subrip")
    }

    /// One fate per source stream, from the plan and the output streams the layout created for it
    /// (read before the video's stream is described: it becomes AV1 whichever encoder runs).
    static func account(_ plan: StreamPlan, mapping: [Int: Int], input: borrowing MediaInput,
                        output: borrowing MatroskaOutput) -> [StreamFate] {
        plan.actions.enumerated().map { index, action in
            guard let outputIndex = mapping[index] else {
                // A stream left out by no rule keeps a nil reason, and fails verification.
                var reason: String?
                if case .drop(let stated) = action { reason = stated }
                return StreamFate(sourceIndex: index, outcome: .dropped, reason: reason)
            }
            if action == .encodeVideo {
                return StreamFate(sourceIndex: index, outcome: .encoded, outputKind: SourceStream.Kind.video.rawValue,
                                  outputCodec: "av1")
            }
            let target = output.stream(outputIndex).parameters.pointee
            let kind = SourceStream.Kind(target.codec_type).rawValue
            let source = input.stream(index).parameters.pointee
            let same = source.codec_id == target.codec_id && source.codec_type == target.codec_type
            return StreamFate(sourceIndex: index, outcome: same ? .kept : .converted, outputKind: kind,
                              outputCodec: String(cString: avcodec_get_name(target.codec_id)))
        }
    }
}

/// The output's streams held to the fate of every source stream.
enum StreamAccounting {
    /// Every stream of the source (as its own open saw it) has a fate; every dropped one a rule;
    /// every other one is in the output, in source order, as the kind and codec it was given.
    static func check(_ allFates: [StreamFate], source: SourceFacts, output: [SourceStream]) throws(EncodeError) {
        let fates = allFates.filter { $0.outcome != .extracted }
        let unaccounted = source.streams.filter { stream in !fates.contains { $0.sourceIndex == stream.index } }
        if let stream = unaccounted.first {
            throw .output("source stream \(stream.index) (\(stream.kind.rawValue), \(stream.codec)) is not accounted for")
        }
        // The encode's open and the declarations' open saw different files: the source changed.
        guard fates.map(\.sourceIndex) == source.streams.map(\.index) else {
            throw .output("the source has \(source.streams.count) streams, the encode saw \(fates.count)")
        }
        if let fate = fates.first(where: { $0.outcome == .dropped && $0.reason == nil }) {
            throw .output("source stream \(fate.sourceIndex) was dropped by no rule")
        }
        let carried = outputOrder(allFates)
        for (position, fate) in carried.enumerated() {
            let described = source.streams[fate.sourceIndex]
            guard position < output.count, output[position].readBackKind == fate.outputKind,
                  output[position].codecName == fate.outputCodec else {
                throw .output("source stream \(fate.sourceIndex) (\(described.kind.rawValue), \(described.codec)) "
                              + "is missing from the output")
            }
        }
        if output.count > carried.count {
            throw .output("the output has \(output.count) streams, \(carried.count) were written")
        }
    }

    /// The carried streams in the order a reader of the Matroska file lists them: tracks in source
    /// order, then extracted tracks (made once the first picture is seen), then attachments, which
    /// Matroska stores apart from the tracks whatever their place in the source.
    static func outputOrder(_ fates: [StreamFate]) -> [StreamFate] {
        let carried = fates.filter(\.isInOutput)
        let isAttachment = { (fate: StreamFate) in fate.outputKind == SourceStream.Kind.attachment.rawValue }
        return carried.filter { !isAttachment($0) && $0.outcome != .extracted }
            + carried.filter { $0.outcome == .extracted } + carried.filter(isAttachment)
    }

    /// A copied stream whose header counts its packets (MP4) has them all in the output.
    static func checkContent(_ fates: [StreamFate], source: SourceFacts, packets: [Int]) throws(EncodeError) {
        for (position, fate) in outputOrder(fates).enumerated() where fate.outcome == .kept {
            let described = source.streams[fate.sourceIndex]
            guard let declared = described.frameCount, described.kind != .attachment else { continue }
            if abs(packets[position] - declared) > 1 {
                throw .output("source stream \(fate.sourceIndex) (\(described.kind.rawValue), \(described.codec)) "
                              + "has \(packets[position]) packets in the output, the source declares \(declared)")
            }
        }
    }
}
