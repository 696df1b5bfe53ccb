import Foundation
import LinuxSupport
import WorkerProtocol

/// Faults of the machine, not of the file: the temp and job folders, full disks, the kernel's
/// out-of-memory killer. They never count as an attempt and never write a skip marker; a storage
/// fault pauses admission until the folders are usable again.
extension Supervisor {
    /// The folders every job writes into.
    var storageFolders: [StorageGate.Folder] { [tempFolder, stateFolder] }
    var tempFolder: StorageGate.Folder { StorageGate.Folder(key: "temp_output_dir", path: config.tempOutputDir) }
    /// The job store's folder: a reload does not move the store, so not `config.jobStateDir`.
    var stateFolder: StorageGate.Folder { StorageGate.Folder(key: "job_state_dir", path: store.directory) }

    /// Every few seconds: closes the gate when a folder fails its check, opens it when all pass.
    func watchStorage() {
        apply(storage.update(storageFolders))
    }

    /// A queued job-record write failed (on the store's writer queue, hopped here).
    func jobRecordNotWritten(_ record: JobRecord, error: SystemError) {
        log(.error, "job record not written: \(error)", job: record.id, file: record.sourcePath)
        apply(storage.report(stateFolder, problem: "\(error)"))
    }

    /// Logs a change once per episode and publishes it at once: `status` shows the pause no later
    /// than the journal does.
    private func apply(_ change: StorageGate.Change?) {
        defer { if change != nil { publishSnapshot() } }
        switch change {
        case .paused:
            log(.error, "storage pause: \(storage.reason ?? "a folder cannot take files")")
            reportStatus()
        case .resumed:
            log(.info, "storage pause over: the temp and job folders take files again; taking new jobs again")
            store.writeUnwritten()
            scanCycle()
        case nil:
            break
        }
    }

    /// Why a configuration's temp or job folder cannot be used, if it cannot (a reload is refused then).
    static func unusableFolder(in config: DaemonConfig) -> String? {
        for (key, path) in [("temp_output_dir", config.tempOutputDir), ("job_state_dir", config.jobStateDir)] {
            if let problem = FolderCheck.problem(with: path) { return "\(key) \(path) cannot take files (\(problem))" }
        }
        return nil
    }

    /// Whether a job that just ended failed for the machine's sake rather than the file's: the
    /// worker said so (a full or read-only temp folder), or the temp folder fails its check now
    /// (removed under a running encode). The gate is closed with the reason; nil for a file's fault.
    func environmentFault(of job: RunningJob, exit: WorkerProcess.Exit) -> String? {
        switch job.outcome {
        case .verified, .nothingToDo: return nil
        case .failed, nil: break
        }
        let temp = tempFolder
        if let problem = FolderCheck.problem(with: temp.path) {
            apply(storage.report(temp, problem: "\(problem)"))
            return "\(temp.key) \(temp.path) cannot take files (\(problem))"
        }
        guard case .failed(let reason, .environment) = job.outcome else { return nil }
        // The folder takes small files again (the worker removed its partial output): it had no
        // room for this encode. Wait until there is room for what it would have written.
        let needed = Self.expectedOutputBytes(of: job.record, capacity: StorageGate.space(temp.path)?.capacity)
        apply(storage.report(temp, problem: reason, neededBytes: needed))
        return "\(temp.key) \(temp.path) refused the output (\(reason))"
    }

    /// Whether a failed replacement failed for the machine's sake: the job folder cannot take a
    /// record, or the library's file system is full or read-only for the new file.
    func replacementEnvironmentFault(_ job: JobRecord, error: any Error) -> String? {
        let state = stateFolder
        if let problem = FolderCheck.problem(with: state.path) {
            apply(storage.report(state, problem: "\(problem)"))
            return "\(state.key) \(state.path) cannot take files (\(problem))"
        }
        let folder = StorageGate.Folder(key: "library folder", path: (job.sourcePath as NSString).deletingLastPathComponent)
        let needed = job.newBytes ?? 0
        let code = FailureKind.errorNumber(of: error)
        let full = code.map { SystemError("", code: $0).isNoSpace || $0 == EROFS } ?? false
        guard full || (StorageGate.space(folder.path).map { $0.free < needed } ?? false) else { return nil }
        apply(storage.report(folder, problem: "\(error)", neededBytes: needed))
        return "\(folder.key) \(folder.path) cannot take the new file of \(Self.megabytes(needed)) (\(error))"
    }

    /// The whole output's size, extrapolated from what was written; half the source before that.
    /// Never more than the file system holds, or the gate would never open.
    static func expectedOutputBytes(of record: JobRecord, capacity: Int64?) -> Int64 {
        let written = record.encodedBytes ?? 0
        let fraction = (record.progress ?? 0) / 100
        let estimate = fraction >= 0.05 ? Int64(Double(written) / fraction * 1.1) : max(written * 2, record.originalBytes / 2)
        return min(estimate, capacity.map { $0 * 9 / 10 } ?? estimate)
    }

    /// How many processes the kernel's out-of-memory killer has killed since boot (`/proc/vmstat`
    /// `oom_kill`, which counts cgroup OOM kills too). A worker that died by a SIGKILL the daemon
    /// did not send while this rose was killed for memory.
    static func outOfMemoryKills() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/vmstat", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").lazy.compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            return fields.count == 2 && fields[0] == "oom_kill" ? Int(fields[1]) : nil
        }.first
    }

    /// How often failed outputs are pruned while the daemon runs (and after each failure).
    static let pruneInterval: TimeInterval = 3600

    /// Hourly: failed jobs' outputs older than `failed_output_retention_days` go while the daemon
    /// runs, not only at start-up.
    func pruneFailedOutputs() {
        let pruner = FailedOutputPruner(store: store, retentionDays: config.failedOutputRetentionDays,
                                        tempDirectory: config.tempOutputDir)
        for path in pruner.prune() {
            log(.info, "removed a failed job's output after failed_output_retention_days, or chunks no job resumes", file: path)
        }
    }
}
