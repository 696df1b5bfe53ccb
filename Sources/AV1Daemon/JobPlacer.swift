import Foundation
import NativeEncode
import Placement
import LinuxSupport
import WorkerProtocol

/// Decides whether the next job may start and where: a CPU set no running job holds (from one
/// L3 domain when it fits), and a memory estimate that fits the budget beside the running jobs.
struct JobPlacer {
    enum Decision {
        case start(cpus: CPUSet, estimate: MemoryEstimate)
        case waitForCPUs
        case waitForMemory(String)
    }

    /// Fixed `max_concurrent_jobs`: the machine split once into that many CPU sets.
    /// `"auto"`: a pool each job takes a share from, sized by its resolution and preset.
    private enum CPUSource {
        case slots(free: [CPUSet])
        case pool(CPUPool)
    }

    private var cpus: CPUSource
    private var history: MemoryHistory
    private var running: [String: (cpus: CPUSet, estimate: MemoryEstimate, jobClass: JobClass)] = [:]
    let budget: MemoryBudget?
    let planDescription: String

    init(config: DaemonConfig, topology: Topology = Topology.read()) {
        let planner = PlacementPlanner(topology: topology)
        switch config.maxConcurrentJobs {
        case .fixed(let count):
            let plan = planner.plan(jobs: count)
            cpus = .slots(free: plan)
            planDescription = plan.map(\.description).joined(separator: " | ")
        case .auto:
            cpus = .pool(CPUPool(topology: topology))
            planDescription = "auto from \(planner.allowed)"
        }
        history = MemoryHistory(stateDirectory: (config.jobStateDir as NSString).deletingLastPathComponent)
        budget = MemoryBudget.read(configuredLimit: config.memoryLimit.map(Int.init))
    }

    var runningCount: Int { running.count }

    static func jobClass(of probe: ProbeFacts, config: DaemonConfig) -> JobClass {
        JobClass(height: probe.height, bitDepth: config.outputBitDepth,
                 preset: config.encodeSettings.resolvedPreset(height: probe.height))
    }

    /// Whether `probe`'s file may start now; `.start` reserves the CPUs it names. Hand them to
    /// `confirm` once the worker runs, or back to `release` if it could not start.
    mutating func reserve(for probe: ProbeFacts, config: DaemonConfig) -> Decision {
        let jobClass = Self.jobClass(of: probe, config: config)
        let estimate = history.estimate(for: jobClass)
        if let budget {
            let verdict = Admission.decide(estimate: estimate, running: running.values.map(\.estimate), budget: budget,
                                           pressure: PressureGauge.read())
            switch verdict {
            case .admit: break
            case .waitForMemory(let reason), .waitForPressure(let reason): return .waitForMemory(reason)
            }
        }
        switch cpus {
        case .slots(var free):
            guard !free.isEmpty else { return .waitForCPUs }
            let set = free.removeFirst()
            cpus = .slots(free: free)
            return .start(cpus: set, estimate: estimate)
        case .pool(var pool):
            guard let set = pool.take(JobDemand(height: probe.height, preset: jobClass.preset)) else { return .waitForCPUs }
            cpus = .pool(pool)
            return .start(cpus: set, estimate: estimate)
        }
    }

    mutating func confirm(_ id: String, cpus set: CPUSet, estimate: MemoryEstimate, probe: ProbeFacts, config: DaemonConfig) {
        running[id] = (set, estimate, Self.jobClass(of: probe, config: config))
    }

    /// Returns CPUs to the pool.
    mutating func release(_ set: CPUSet) {
        switch cpus {
        case .slots(var free):
            free.append(set)
            cpus = .slots(free: free)
        case .pool(var pool):
            pool.give(back: set)
            cpus = .pool(pool)
        }
    }

    /// A job ended: its CPUs go back; its measured peak teaches the estimate for its class.
    mutating func finished(_ id: String, peakRSS: Int?) throws {
        guard let job = running.removeValue(forKey: id) else { return }
        release(job.cpus)
        if let peakRSS, peakRSS > 0 { try history.record(peakRSS: peakRSS, for: job.jobClass) }
    }

    /// The estimate a running job was admitted with.
    func estimate(of id: String) -> MemoryEstimate? { running[id]?.estimate }
}
