/// What to do about a running worker's memory, judged against its estimate.
public enum RSSVerdict: Sendable, Equatable {
    case ok
    /// Well over its estimate: worth a warning, not yet a stop.
    case report(reason: String)
    /// Far over its estimate, or over the whole budget: stop it before it takes the machine down.
    case stop(reason: String)
}

public struct RSSPolicy: Sendable, Equatable {
    /// RSS above estimate × this is reported.
    public var warnFactor: Double
    /// RSS above estimate × this is stopped.
    public var hardFactor: Double

    public init(warnFactor: Double = 1.5, hardFactor: Double = 3) {
        self.warnFactor = warnFactor
        self.hardFactor = hardFactor
    }

    public func judge(rss: Int, estimate: MemoryEstimate, budget: MemoryBudget) -> RSSVerdict {
        let used = "RSS \(gibibytes(rss))"
        if rss > budget.bytes {
            return .stop(reason: "\(used) is over the whole memory budget of \(gibibytes(budget.bytes))")
        }
        if Double(rss) > Double(estimate.bytes) * hardFactor {
            return .stop(reason: "\(used) is over \(hardFactor)× the estimate of \(gibibytes(estimate.bytes))")
        }
        if Double(rss) > Double(estimate.bytes) * warnFactor {
            return .report(reason: "\(used) is over \(warnFactor)× the estimate of \(gibibytes(estimate.bytes))")
        }
        return .ok
    }
}
