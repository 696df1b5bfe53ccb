import Foundation
import NativeEncode
import Placement
import LinuxSupport
import WorkerProtocol

/// Decides whether the next job may start and where: a CPU set no running job holds (from one
/// L3 domain when it fits), and a memory estimate that fits the budget beside the running jobs.
struct JobPlacer {
    /// Where a job runs: its CPU set, and SVT-AV1's thread budget for it (the set's size, or its
    /// share of a cgroup CPU quota).
    struct Assignment: Equatable {
        let cpus: CPUSet
        let threads: Int
    }

    enum Decision {
        case start(Assignment, estimate: MemoryEstimate)
        case waitForCPUs
        case waitForMemory(String)
    }

    /// Fixed `max_concurrent_jobs`: at most that many jobs; a starting job shares the free CPUs
    /// with the jobs that could start beside it, so fewer runnable jobs get more CPUs each.
    /// `"auto"`: each job takes a share sized by its resolution and preset.
    private let concurrency: Concurrency
    private var pool: CPUPool
    private var history: MemoryHistory
    private var running: [String: (cpus: CPUSet, estimate: MemoryEstimate, jobClass: JobClass, chunkWorkers: Int)] = [:]
    /// Resident bytes of running jobs, as last measured.
    private var resident: [String: Int] = [:]
    private let sysfsRoot: String
    private let configuredLimit: Int?
    /// The budget admission used last; re-read before each admission (MemAvailable moves).
    private(set) var budget: MemoryBudget?
    let planDescription: String

    init(config: DaemonConfig, topology: Topology, sysfsRoot: String = "/") {
        let planner = PlacementPlanner(topology: topology)
        concurrency = config.maxConcurrentJobs
        pool = CPUPool(topology: topology)
        switch config.maxConcurrentJobs {
        case .fixed(let count):
            planDescription = planner.plan(jobs: count).map(\.description).joined(separator: " | ")
                + (count > 1 ? " (fewer runnable jobs share \(planner.allowed))" : "")
        case .auto:
            planDescription = "auto from \(planner.allowed)"
        }
        self.sysfsRoot = sysfsRoot
        configuredLimit = config.memoryLimit.map(Int.init)
        history = MemoryHistory(stateDirectory: (config.jobStateDir as NSString).deletingLastPathComponent)
        budget = MemoryBudget.read(sysfsRoot: sysfsRoot, configuredLimit: configuredLimit)
    }

    var runningCount: Int { running.count }

    static func jobClass(of probe: ProbeFacts, config: DaemonConfig) -> JobClass {
        JobClass(width: probe.width, height: probe.height, bitDepth: config.outputBitDepth,
                 preset: config.encodeSettings.resolvedPreset(height: probe.height))
    }

    /// Whether `probe`'s file may start now; `.start` reserves the CPUs it names. Hand them to
    /// `confirm` once the worker runs, or back to `release` if it could not start. `runnable`
    /// counts the jobs that could start now, this one included (queued and about to be).
    mutating func reserve(for probe: ProbeFacts, config: DaemonConfig, runnable: Int) -> Decision {
        let jobClass = Self.jobClass(of: probe, config: config)
        let estimate = history.estimate(for: jobClass)
        budget = MemoryBudget.read(sysfsRoot: sysfsRoot, configuredLimit: configuredLimit,
                                   heldByRunningJobs: heldByRunningJobs)
        if let budget {
            let verdict = Admission.decide(estimate: estimate, running: running.values.map(\.estimate), budget: budget,
                                           pressure: PressureGauge.read(sysfsRoot: sysfsRoot))
            switch verdict {
            case .admit: break
            case .waitForMemory(let reason), .waitForPressure(let reason): return .waitForMemory(reason)
            }
        }
        let cpus: CPUSet?
        switch concurrency {
        case .fixed(let most):
            let open = most - running.count
            guard open > 0 else { return .waitForCPUs }
            cpus = pool.takeShare(ofJobs: min(open, max(1, runnable)))
        case .auto:
            cpus = pool.take(JobDemand(width: probe.width, height: probe.height, preset: jobClass.preset))
        }
        guard let cpus else { return .waitForCPUs }
        // A chunked title runs one decoder and one encoder per chunk worker: each needs what a job does.
        let workers = chunkWorkers(for: probe, on: cpus, config: config)
        guard workers > 1 else { return .start(Assignment(cpus: cpus, threads: pool.threads(for: cpus)), estimate: estimate) }
        let whole = MemoryEstimate(bytes: estimate.bytes * workers, basis: estimate.basis)
        if let budget, case .waitForMemory(let reason) = Admission.decide(estimate: whole, running: running.values.map(\.estimate),
                                                                         budget: budget, pressure: PressureGauge.read(sysfsRoot: sysfsRoot)) {
            release(cpus)
            return .waitForMemory("\(workers) chunk workers: \(reason)")
        }
        return .start(Assignment(cpus: cpus, threads: pool.threads(for: cpus)), estimate: whole)
    }

    /// What running jobs already hold of MemAvailable: their RSS, up to their estimate (what they
    /// use beyond it is out of MemAvailable already, and admission counts their estimates).
    private var heldByRunningJobs: Int {
        running.map { id, job in min(resident[id] ?? 0, job.estimate.bytes) }.reduce(0, +)
    }

    mutating func confirm(_ id: String, cpus set: CPUSet, estimate: MemoryEstimate, probe: ProbeFacts, config: DaemonConfig) {
        running[id] = (set, estimate, Self.jobClass(of: probe, config: config), chunkWorkers(for: probe, on: set, config: config))
    }

    /// How many chunk workers the engine will run for this title on `cpus` (1: one piece), by the
    /// engine's own rule.
    func chunkWorkers(for probe: ProbeFacts, on cpus: CPUSet, config: DaemonConfig) -> Int {
        let domains = ChunkRule.cacheDomains(of: cpus, sysfsRoot: (sysfsRoot as NSString).appendingPathComponent("sys"))
        // The daemon keeps every job's chunks for a later run (`<temp_output_dir>/chunks-*`).
        return ChunkRule.workerSets(mode: config.chunked, cpus: cpus, titleSeconds: probe.durationSeconds, domains: domains,
                                    resumable: true)?.count ?? 1
    }

    /// A running job's resident memory, measured.
    mutating func observe(_ id: String, residentBytes: Int) {
        if running[id] != nil { resident[id] = residentBytes }
    }

    /// Returns CPUs to the pool.
    mutating func release(_ set: CPUSet) {
        pool.give(back: set)
    }

    /// A job ended: its CPUs go back; its measured peak teaches the estimate for its class.
    mutating func finished(_ id: String, peakRSS: Int?) throws {
        resident[id] = nil
        guard let job = running.removeValue(forKey: id) else { return }
        release(job.cpus)
        // The history learns one encoder's need: a chunked job's peak is shared by its workers.
        if let peakRSS, peakRSS > 0 { try history.record(peakRSS: peakRSS / max(job.chunkWorkers, 1), for: job.jobClass) }
    }

    /// The estimate a running job was admitted with.
    func estimate(of id: String) -> MemoryEstimate? { running[id]?.estimate }
}
