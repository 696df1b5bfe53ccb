import Foundation

/// `av1d scan`: what the daemon would do with each file, changing nothing on disk.
public struct DryRun {
    public struct Line: Sendable {
        public enum Verdict: String, Sendable { case encode, skip, wait, done, unreadable }
        public var path: String
        public var size: Int64
        public var verdict: Verdict
        public var reason: String
        public var expectedSaving: Int64
    }

    let config: DaemonConfig
    let executable: String
    /// The job store's records: files already handled are not judged again.
    let jobs: [JobRecord]

    public init(config: DaemonConfig, executable: String, jobs: [JobRecord]) {
        self.config = config
        self.executable = executable
        self.jobs = jobs
    }

    public func run() -> (lines: [Line], unreadableFolders: [String]) {
        let result = LibraryScanner(minBytes: config.minBytes, exclude: config.exclude, followSymlinks: config.followSymlinks)
            .scan(roots: config.libraryRoots)
        let history = JobHistory(jobs)
        var stability = StabilityTracker(window: TimeInterval(config.stableSecs))
        var lines = result.skipped.map { Line(path: $0.0.path, size: $0.0.size, verdict: .skip, reason: $0.1.reason, expectedSaving: 0) }
        for facts in result.videos {
            if history.isSettled(facts, maxAttempts: config.maxAttempts) {
                lines.append(Line(path: facts.path, size: facts.size, verdict: .done, reason: "already handled (see the job store)", expectedSaving: 0))
            } else if !stability.isStable(facts) {
                lines.append(Line(path: facts.path, size: facts.size, verdict: .wait, reason: "changed in the last \(config.stableSecs) s", expectedSaving: 0))
            } else {
                switch ProbeOutcome.probe(facts.path, executable: executable, skipDynamicHDR: config.skipDynamicHDR) {
                case .encode(let probe):
                    let saving = Int64(Candidate(facts: facts, probe: probe).expectedSaving)
                    lines.append(Line(path: facts.path, size: facts.size, verdict: .encode,
                                      reason: "\(probe.videoCodec) \(probe.width)x\(probe.height)", expectedSaving: saving))
                case .skip(let reason, _):
                    lines.append(Line(path: facts.path, size: facts.size, verdict: .skip, reason: reason, expectedSaving: 0))
                case .unreadable(let reason):
                    lines.append(Line(path: facts.path, size: facts.size, verdict: .unreadable, reason: reason, expectedSaving: 0))
                }
            }
        }
        return (lines.sorted { $0.path < $1.path }, result.newlyUnreadable)
    }
}
