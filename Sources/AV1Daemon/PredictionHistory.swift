import Foundation
import LinuxSupport

/// How far past predictions overshot the real size ratio, kept in `prediction-history.json` in
/// the state folder (beside `memory-history.json`) so the gate's margin improves across restarts.
///
/// The margin is the fraction by which a prediction may have overshot: the gate skips a title
/// only when its predicted ratio is at or above `max_size_ratio × (1 + margin)`. It starts
/// conservative and, once enough titles were both predicted and encoded, becomes the worst
/// recent overshoot plus a little headroom, so no title like those seen is wrongly skipped.
public struct PredictionHistory: Sendable {
    /// The margin until `jobsToLearn` titles were predicted and encoded. The worst overshoot
    /// measured on the benchmark library and the fixtures (16 title and setting pairs: preset 8
    /// CRF 30, and the defaults) was +3.5%; this leaves 6.5 points for titles unlike those.
    public static let startingMargin = 0.10
    /// The same with a quality target: the gate then judges the CRF search's centred samples
    /// (`SamplePlan.Placement.centred`), whose size prediction overshot by up to 19.4% there.
    public static let searchStartingMargin = 0.25
    public static let jobsToLearn = 5
    /// Added to the worst overshoot seen; also the least margin ever used.
    public static let headroom = 0.05
    /// Only the most recent errors count: encoder settings and libraries change.
    public static let remembered = 50

    private let path: String
    /// (predicted / real) − 1 of each recent title: positive when the prediction was too big.
    public private(set) var overshoots: [Double]

    /// Loads the history; a missing or unreadable file starts afresh (the starting margin).
    public init(stateDirectory: String) {
        path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("prediction-history.json").path
        let saved = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder.av1d.decode(Saved.self, from: $0) }
        overshoots = saved?.overshoots ?? []
    }

    public var margin: Double { margin(qualityTarget: false) }

    /// The margin for a title predicted by the CRF search's samples (`qualityTarget`) or the prediction's.
    public func margin(qualityTarget: Bool) -> Double {
        guard overshoots.count >= Self.jobsToLearn, let worst = overshoots.max() else {
            return qualityTarget ? Self.searchStartingMargin : Self.startingMargin
        }
        return max(worst, 0) + Self.headroom
    }

    /// Records a title's predicted and real ratios and saves the history atomically.
    public mutating func record(predicted: Double, real: Double) throws {
        guard predicted > 0, real > 0 else { return }
        overshoots.append(predicted / real - 1)
        overshoots = Array(overshoots.suffix(Self.remembered))
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONEncoder.av1dPretty.encode(Saved(overshoots: overshoots)), to: path)
    }

    private struct Saved: Codable {
        var overshoots: [Double]
    }
}
