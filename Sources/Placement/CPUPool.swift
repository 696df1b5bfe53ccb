import LinuxSupport

/// The CPUs not held by a running job. Jobs take CPUs as they start and give them back as they end.
public struct CPUPool: Sendable {
    private let planner: PlacementPlanner
    public private(set) var free: CPUSet

    /// A pool holding every CPU the planner may hand out.
    public init(topology: Topology) {
        planner = PlacementPlanner(topology: topology)
        free = planner.allowed
    }

    /// CPUs for a job with this demand, now no longer free; nil when nothing reasonable is free.
    public mutating func take(_ demand: JobDemand) -> CPUSet? {
        guard let cpus = planner.place(demand: demand, free: free) else { return nil }
        free = free.subtracting(cpus)
        return cpus
    }

    /// CPUs for one of `jobs` jobs about to start, by the same rules as a plan for that many jobs
    /// but from the free CPUs only; nil when no core is free. The others take the rest in turn.
    public mutating func takeShare(ofJobs jobs: Int) -> CPUSet? {
        guard let cpus = planner.plan(jobs: jobs, within: free).first else { return nil }
        free = free.subtracting(cpus)
        return cpus
    }

    /// SVT-AV1's thread budget for a job on `cpus` (see `PlacementPlanner.threads(for:)`).
    public func threads(for cpus: CPUSet) -> Int { planner.threads(for: cpus) }

    /// Returns a finished job's CPUs. CPUs the pool never handed out are ignored.
    public mutating func give(back cpus: CPUSet) {
        free = free.union(cpus.intersection(planner.allowed))
    }

    /// For `max_concurrent_jobs = "auto"`: how many of the queued jobs, in queue order, could start
    /// on the free CPUs now. Counting stops at the first that cannot, so a big job at the head of
    /// the queue is not starved by small ones behind it.
    public func jobsThatFit(_ queued: [JobDemand]) -> Int {
        var trial = self
        return queued.prefix { trial.take($0) != nil }.count
    }
}
