import Foundation
import NativeEncode
import Placement
import WorkerProtocol

/// The daemon as the control socket and the metrics endpoint see it. Requests arrive on the
/// servers' threads. `status` and metrics read the snapshot the supervisor last published, so
/// they answer at once even while the queue is busy; actions are performed on the queue.
extension Supervisor: DaemonControl {
    /// How often the queue publishes its snapshot.
    static let publishInterval: TimeInterval = 0.5

    public func snapshot() -> DaemonSnapshot {
        board.snapshot ?? queue.sync { currentSnapshot() }
    }

    public func perform(_ request: ControlRequest) -> ControlResponse {
        queue.sync {
            defer { publishSnapshot() }
            return handle(request)
        }
    }

    func publishSnapshot() {
        board.publish(currentSnapshot())
    }

    func currentSnapshot() -> DaemonSnapshot {
        let jobs = store.all
        let running = running.values.sorted { $0.started < $1.started }.map { DaemonSnapshot.RunningJob(record: $0.record) }
        let queued = Array(candidates.values).ordered(by: config.scheduleOrder).map {
            DaemonSnapshot.QueuedFile(path: $0.facts.path, bytes: $0.facts.size, expectedSavingBytes: Int64($0.expectedSaving))
        }
        let recent = jobs.filter(\.status.isFinal).sorted { ($0.finishedAt ?? $0.createdAt) > ($1.finishedAt ?? $1.createdAt) }
            .prefix(20).map(DaemonSnapshot.FinishedJob.init(record:))
        var snapshot = DaemonSnapshot(running: running, queued: queued.count, queue: Array(queued.prefix(50)),
                                      recent: Array(recent), totals: StatusReport(jobs: jobs).totals, paused: paused,
                                      framesEncodedTotal: counters.frames + running.reduce(0) { $0 + ($1.framesEncoded ?? 0) },
                                      bytesEncodedTotal: counters.bytes)
        // The storage pause first: it does not pass by itself the way a hot CPU cools.
        snapshot.admissionPause = storage.reason.map { AdmissionPause(reason: "storage", message: $0) }
            ?? thermal.reason.map { AdmissionPause(reason: "thermal", message: $0) }
        snapshot.scanning = scanning
        snapshot.temperatures = temperatures
        snapshot.warnings = machineWarnings
        return snapshot
    }

    private func handle(_ request: ControlRequest) -> ControlResponse {
        switch request.command {
        case .status:
            return ControlResponse(ok: true, snapshot: currentSnapshot())
        case .pause:
            paused = true
            log(.info, "paused: running jobs go on, no new job starts")
            reportStatus()
            return ControlResponse(ok: true, message: "paused")
        case .resume:
            paused = false
            log(.info, "resumed")
            schedule()
            return ControlResponse(ok: true, message: "resumed")
        case .cancel:
            guard let id = request.job else { return .failure("cancel needs \"job\": a job id") }
            guard let job = running[id] else { return .failure("no running job \(id)") }
            job.cancelled = true
            job.worker.signal(SIGTERM)
            log(.info, "cancel requested", job: id, file: job.record.sourcePath)
            return ControlResponse(ok: true, message: "cancelling \(id)")
        case .retry:
            guard let path = request.path else { return .failure("retry needs \"path\": a file in the library") }
            guard FileManager.default.fileExists(atPath: path) else { return .failure("no such file: \(path)") }
            guard config.roots.admits(path) else { return .failure(ReplaceError.outsideLibrary(path).description) }
            SkipMarker.remove(for: path)
            forgetHistory(of: path)
            log(.info, "retry requested: skip marker and past results cleared", file: path)
            scanSoon()
            return ControlResponse(ok: true, message: "will retry \(path)")
        case .rescan:
            scanCycle()
            return ControlResponse(ok: true, message: "rescan started")
        }
    }

    /// A retried file starts over: its finished jobs no longer count as settled or as attempts.
    private func forgetHistory(of path: String) {
        for var job in store.history(of: path) where job.status == .failed || job.status == .skipped {
            job.reason = "retried after \(job.status.rawValue): \(job.reason ?? "")"
            job.status = .interrupted
            save(job)
        }
        probed = probed.filter { $0.key.path != path }
    }
}

/// The last published snapshot, for readers on any thread.
final class SnapshotBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DaemonSnapshot?

    var snapshot: DaemonSnapshot? { lock.withLock { value } }

    func publish(_ snapshot: DaemonSnapshot) { lock.withLock { value = snapshot } }
}
