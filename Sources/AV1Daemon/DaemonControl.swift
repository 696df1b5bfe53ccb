import Foundation
import LinuxSupport
import WorkerProtocol

/// What the control server asks of the daemon. Called on any thread; the supervisor hops
/// onto its own queue and answers there.
public protocol DaemonControl: AnyObject, Sendable {
    func snapshot() -> DaemonSnapshot
    func perform(_ request: ControlRequest) -> ControlResponse
}

extension DaemonSnapshot.RunningJob {
    /// A running job as its record describes it (the worker's own CPU count is the set's size).
    init(record: JobRecord) {
        self.init(id: record.id, sourcePath: record.sourcePath, stage: record.stage ?? record.status.rawValue.lowercased(),
                  progress: record.progress ?? 0, fps: record.fps, eta: record.eta, cpus: record.cpus,
                  cpuCount: record.cpus.flatMap(CPUSet.init(list:))?.count ?? 0, rssBytes: record.rssBytes,
                  framesEncoded: record.framesEncoded, framesTotal: record.framesTotal,
                  encodedBytes: record.encodedBytes, startedAt: record.startedAt, chunks: record.chunks)
    }
}

extension DaemonSnapshot.FinishedJob {
    init(record: JobRecord) {
        self.init(id: record.id, sourcePath: record.sourcePath, status: record.status.rawValue, reason: record.reason,
                  originalBytes: record.originalBytes, newBytes: record.newBytes, finishedAt: record.finishedAt)
    }
}
