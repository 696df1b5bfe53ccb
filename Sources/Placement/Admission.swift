/// Whether one more job may start now, as far as memory goes.
public enum AdmissionDecision: Sendable, Equatable {
    case admit
    /// The running jobs' estimates plus this one would not fit the budget.
    case waitForMemory(reason: String)
    /// The machine is already stalling on memory.
    case waitForPressure(reason: String)
}

public enum Admission {
    /// PSI `some avg10` above which no job starts: a tenth of the time spent waiting for memory.
    public static let defaultPressureLimit = 10.0

    /// Admits a job when pressure is below `pressureLimit` (no PSI means no objection) and its
    /// estimate fits beside the running jobs' estimates. A job bigger than the whole budget still
    /// starts once nothing else runs: waiting could never make room for it, and `RSSPolicy` stops
    /// it if it really outgrows the budget.
    public static func decide(estimate: MemoryEstimate, running: [MemoryEstimate], budget: MemoryBudget,
                              pressure: PressureGauge?,
                              pressureLimit: Double = defaultPressureLimit) -> AdmissionDecision {
        if let pressure, pressure.someAvg10 > pressureLimit {
            return .waitForPressure(reason: "memory pressure: tasks stalled \(pressure.someAvg10)% of the last 10 s "
                + "(limit \(pressureLimit)%)")
        }
        let held = running.map(\.bytes).reduce(0, +)
        guard running.isEmpty || held + estimate.bytes <= budget.bytes else {
            return .waitForMemory(reason: "needs \(gibibytes(estimate.bytes)); \(running.count) running "
                + "job(s) hold \(gibibytes(held)) of the \(gibibytes(budget.bytes)) budget (\(budget.source.rawValue))")
        }
        return .admit
    }
}
