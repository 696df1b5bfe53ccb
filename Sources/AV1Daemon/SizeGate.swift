import Foundation

/// The daemon's size gate: a verified output replaces the original only when it is smaller than
/// `max_size_ratio` of it. `av1d encode` asks the same gate, so one file tells what the daemon
/// would do with it.
public struct SizeGate: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        /// Below the limit: the output would replace the original.
        case replace(ratio: Double)
        /// Smaller than the original, but not by enough: the original is kept.
        case aboveLimit(ratio: Double)
        /// The output is larger than the original: the original is kept.
        case larger(ratio: Double)

        public var replacesOriginal: Bool {
            if case .replace = self { true } else { false }
        }

        /// New size over original size.
        public var ratio: Double {
            switch self {
            case .replace(let ratio), .aboveLimit(let ratio), .larger(let ratio): ratio
            }
        }
    }

    public var maxSizeRatio: Double

    public init(maxSizeRatio: Double = DaemonConfig().maxSizeRatio) {
        self.maxSizeRatio = maxSizeRatio
    }

    public func verdict(originalBytes: Int64, newBytes: Int64) -> Verdict {
        let ratio = Double(newBytes) / Double(max(originalBytes, 1))
        if Double(newBytes) < Double(originalBytes) * maxSizeRatio { return .replace(ratio: ratio) }
        return newBytes > originalBytes ? .larger(ratio: ratio) : .aboveLimit(ratio: ratio)
    }

    /// One line for a person: what the daemon would do, and why.
    public func sentence(for verdict: Verdict) -> String {
        let limit = String(format: "max_size_ratio %.2f", maxSizeRatio)
        return switch verdict {
        case .replace(let ratio):
            String(format: "the daemon would replace the original: %.3f of its size, below %@", ratio, limit)
        case .aboveLimit(let ratio):
            String(format: "above %@ (%.3f of the original): the daemon would keep the original", limit, ratio)
        case .larger(let ratio):
            String(format: "larger than the input (%.3fx): the daemon would keep the original (%@)", ratio, limit)
        }
    }
}
