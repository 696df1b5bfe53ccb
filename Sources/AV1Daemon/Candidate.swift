import Foundation
import NativeEncode
import WorkerProtocol

/// A stable file that passed every gate and waits for a worker.
public struct Candidate: Sendable {
    public var facts: FileFacts
    public var probe: ProbeFacts

    /// Bytes we expect to save: size times the share AV1 usually removes from this codec.
    public var expectedSaving: Double {
        Double(facts.size) * (1 - Self.typicalRatio(codec: probe.videoCodec))
    }

    /// Rough new/old size ratios at the guide's quality; only the ordering matters.
    static func typicalRatio(codec: String) -> Double {
        switch codec {
        case "mpeg2video", "mpeg4", "msmpeg4v3", "vc1", "wmv3", "mpeg1video": 0.3
        case "h264": 0.5
        case "hevc", "vp9": 0.75
        default: 0.6
        }
    }

    /// The old daemon's "web rip" class, kept only as a statistic (`is_web_like`): the engine
    /// regenerates timestamps and handles odd sizes for every file anyway.
    public var isWebLike: Bool {
        let name = (facts.path as NSString).lastPathComponent.uppercased()
        let tagged = ["WEB-DL", "WEBRIP", "WEB.DL", ".WEB.", " WEB ", ".NF.", ".AMZN.", ".DSNP.", ".HMAX.", ".ATVP."]
            .contains { name.contains($0) }
        let lowBitrate = probe.bitRate > 0 && Double(probe.bitRate) < Double(probe.height) * 4_000
        return tagged || lowBitrate || probe.videoCodec == "vp9"
    }
}

extension [Candidate] {
    /// The candidates in the order jobs should start.
    func ordered(by order: ScheduleOrder) -> [Candidate] {
        switch order {
        case .largestSaving: sorted { ($0.expectedSaving, $1.facts.path) > ($1.expectedSaving, $0.facts.path) }
        case .smallestFirst: sorted { ($0.facts.size, $0.facts.path) < ($1.facts.size, $1.facts.path) }
        case .path: sorted { $0.facts.path < $1.facts.path }
        }
    }
}
