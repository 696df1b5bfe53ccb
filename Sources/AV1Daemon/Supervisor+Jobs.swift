import Foundation
import NativeEncode
import Placement
import LinuxSupport
import WorkerProtocol

/// A job whose worker process is alive.
final class RunningJob {
    var record: JobRecord
    let worker: WorkerProcess
    let cpus: CPUSet
    let started = Date()
    /// The kernel's OOM kill count when the job started (nil without /proc/vmstat).
    let outOfMemoryKillsAtStart = Supervisor.outOfMemoryKills()
    /// What the worker said last about its result.
    var outcome: WorkerOutcome?
    var stalledFor: TimeInterval?
    /// Set when the worker was stopped for using far more memory than estimated.
    var memoryStop: String?
    var memoryWarned = false
    /// Cancelled through the control socket.
    var cancelled = false
    let probe: ProbeFacts

    init(record: JobRecord, worker: WorkerProcess, cpus: CPUSet, probe: ProbeFacts) {
        self.record = record
        self.worker = worker
        self.cpus = cpus
        self.probe = probe
    }
}

enum WorkerOutcome {
    case verified(EncodeSummary)
    case nothingToDo(String)
    case failed(String, FailureKind)
}

extension Supervisor {
    /// Starts jobs while CPUs, memory and the CPU temperature allow, biggest expected saving first
    /// (by default). A job stopped for its memory runs again only alone.
    func schedule() {
        guard acceptingWork, !paused, !thermal.isClosed, !storage.isClosed,
              !running.values.contains(where: { runAlone.contains($0.record.sourcePath) }) else { return }
        let busy = Set(running.values.map(\.record.sourcePath)).union(replacing)
        let queued = Array(candidates.values).ordered(by: config.scheduleOrder).filter { !busy.contains($0.facts.path) }
        // Output names are reserved from the start of a job to the end of its replacement.
        var reserved = Dictionary(busy.map { (Replacer.finalPath(for: $0), $0) }) { first, _ in first }
        for (position, candidate) in queued.enumerated() {
            if runAlone.contains(candidate.facts.path) && !running.isEmpty { continue }
            guard claimOutputName(of: candidate.facts, reserved: &reserved) else { continue }
            // Jobs that could start now: this one, those queued behind it, and files whose probe
            // is under way or due; fewer of them than free slots means bigger CPU sets each.
            let runnable = queued.count - position + probing.count + awaitingProbe
            switch placer.reserve(for: candidate.probe, config: config, runnable: runnable) {
            case .start(let assignment, let estimate):
                candidates[candidate.facts.path] = nil
                start(candidate, on: assignment, estimate: estimate)
                if runAlone.contains(candidate.facts.path) { return reportStatus() }
            case .waitForCPUs:
                return reportStatus()
            case .waitForMemory(let reason):
                if waitingFor != reason { log(.info, "next job waits: \(reason)") }
                waitingFor = reason
                return reportStatus()
            }
        }
        waitingFor = nil
        reportStatus()
    }

    /// Whether `facts` may start: no other job in flight makes its `<stem>.mkv`, and no other file
    /// has that name already (that would only be found after a wasted encode: skip it now).
    private func claimOutputName(of facts: FileFacts, reserved: inout [String: String]) -> Bool {
        let output = Replacer.finalPath(for: facts.path)
        if let holder = reserved[output], holder != facts.path {
            let reason = "waits: \((output as NSString).lastPathComponent) is reserved for \((holder as NSString).lastPathComponent), in flight"
            if waitingForName[facts.path] != reason { log(.info, reason, file: facts.path) }
            waitingForName[facts.path] = reason
            return false
        }
        waitingForName[facts.path] = nil
        if output != facts.path && FileManager.default.fileExists(atPath: output) {
            candidates[facts.path] = nil
            recordSkip(facts, reason: ReplaceError.targetExists(output).description, probe: nil)
            return false
        }
        reserved[output] = facts.path
        return true
    }

    private func start(_ candidate: Candidate, on assignment: JobPlacer.Assignment, estimate: MemoryEstimate) {
        let cpus = assignment.cpus
        let facts = candidate.facts
        var identity: FileIdentity?
        do {
            identity = try Replacer.identity(of: facts.path, roots: config.roots)
        } catch .system(let error) where error.code != ENOENT {
            // Unreadable (EIO...): the worker's read reports it as the job's failure, with where it
            // failed; without a recorded identity a replacement needs the file readable again and
            // its size and mtime unchanged.
            log(.warning, "source identity not recorded: \(error)", file: facts.path)
        } catch {
            placer.release(cpus)
            probed[facts] = nil
            return log(.warning, "not started: \(error)", file: facts.path)
        }
        if let identity, identity.size != facts.size || abs(Double(identity.mtimeNs) / 1e9 - facts.mtime) >= 0.001 {
            // Changed since the scan: the next scan sees it anew and waits for it to settle.
            placer.release(cpus)
            probed[facts] = nil
            return log(.info, "not started: the file changed since it was scanned", file: facts.path)
        }
        let attempt = JobHistory(store.all).failures(of: facts) + 1
        var job = JobRecord(sourcePath: facts.path, originalBytes: facts.size, sourceMtime: facts.mtime, attempt: attempt)
        job.sourceIdentity = identity
        job.describe(candidate.probe)
        job.isWebLike = candidate.isWebLike
        job.status = .running
        job.stage = "encoding"
        job.startedAt = Date()
        job.cpus = cpus.description
        job.progress = 0
        var settings = config.encodeSettings
        settings.cpus = cpus
        settings.threads = assignment.threads
        job.presetUsed = settings.resolvedPreset(height: candidate.probe.height)
        // With a quality target the CRF is the search's, known once it has run.
        job.crfUsed = settings.qualityTarget == nil ? settings.resolvedCRF(height: candidate.probe.height) : nil
        job.tempOutputPath = (config.tempOutputDir as NSString).appendingPathComponent("\(job.id).mkv.tmp")
        let id = job.id
        let gate = config.predict
            ? PredictionGate(maxSizeRatio: config.maxSizeRatio, margin: predictions.margin(qualityTarget: settings.qualityTarget != nil)) : nil
        do {
            let worker = try WorkerProcess(
                executable: executable, request: .encode(facts.path, to: job.tempOutputPath!, settings: settings, prediction: gate,
                                                         workFolder: chunkFolder(for: facts.path)),
                queue: queue,
                onMessage: { [unowned self] message in handle(message, from: id) },
                onExit: { [unowned self] exit in finish(id, exit: exit) })
            job.workerPid = worker.pid
            running[id] = RunningJob(record: job, worker: worker, cpus: cpus, probe: candidate.probe)
            placer.confirm(id, cpus: cpus, estimate: estimate, probe: candidate.probe, config: config)
            save(job)
            log(.info, "encoding on CPUs \(cpus) with \(assignment.threads) threads, memory estimate \(Self.megabytes(Int64(estimate.bytes))) (attempt \(attempt))",
                job: id, file: facts.path)
        } catch {
            placer.release(cpus)
            recordFailure(facts, reason: "cannot start a worker: \(error)")
        }
    }

    private func handle(_ message: WorkerMessage, from id: String) {
        guard let job = running[id] else { return }
        switch message.event {
        case .progress:
            guard let progress = message.progress else { return }
            job.record.progress = (progress.fraction * 1000).rounded() / 10
            job.record.fps = progress.fps
            job.record.eta = progress.etaSeconds
            job.record.framesEncoded = progress.framesEncoded
            job.record.framesTotal = progress.framesTotal
            job.record.encodedBytes = progress.outputBytes
            job.record.chunks = progress.chunks
            job.record.speedBps = progress.elapsedSeconds > 0 ? Double(progress.outputBytes) / progress.elapsedSeconds : nil
            // rssBytes and peakRssBytes: the once-a-second memory check (judgeMemory) keeps them.
            store.saveProgress(job.record)
        case .stage:
            job.record.stage = message.stage
            if message.stage == "verifying" { job.record.status = .verifying }
            save(job.record)
        case .predicted:
            guard let prediction = message.prediction else { return }
            job.record.note(prediction, skipped: message.reason != nil)
            if let search = message.crfSearch {
                job.record.crfSearch = search
                job.record.crfUsed = search.chosenCRF
                log(.info, search.summary, job: id, file: job.record.sourcePath)
            }
            save(job.record)
            log(.info, String(format: "predicted %.2fx of the original, SSIM-Y %@, from %d samples (%.3g s, %.1f CPU s)",
                              prediction.ratio, prediction.ssimY.map { String(format: "%.4f", $0) } ?? "--",
                              prediction.samples, prediction.sampleSeconds, prediction.cpuSeconds),
                job: id, file: job.record.sourcePath)
        case .verified:
            if let summary = message.summary { job.outcome = .verified(summary) }
        case .nothingToDo:
            job.outcome = .nothingToDo(message.reason ?? "nothing to do")
            if let projection = message.sizeWatch {
                job.record.stoppedAtFraction = projection.share
                job.record.projectedRatio = projection.ratio
            }
        case .failed:
            job.outcome = .failed(message.reason ?? "failed", message.failure ?? .file)
        case .probed:
            break
        }
    }

    /// A worker ended: act on what it reported, free its CPUs, start the next job.
    private func finish(_ id: String, exit: WorkerProcess.Exit) {
        guard let job = running.removeValue(forKey: id) else { return }
        var record = job.record
        record.clearLiveFigures()
        do { try placer.finished(id, peakRSS: record.peakRssBytes) } catch {
            log(.warning, "memory history not updated: \(error)", job: id)
        }
        let facts = FileFacts(path: record.sourcePath, size: record.originalBytes, mtime: record.sourceMtime)

        if shuttingDown {
            record.status = .interrupted
            record.reason = "stopped by shutdown; queued again at the next start"
            record.finishedAt = Date()
            removeTemporaryFiles(of: record)
            save(record)
            log(.info, "interrupted by shutdown", job: id, file: record.sourcePath)
            return finishShutdownIfIdle()
        }
        if let frames = record.framesEncoded { counters.frames += frames }
        if job.cancelled {
            removeTemporaryFiles(of: record)
            removeChunks(of: record)
            record.status = .skipped
            record.reason = "cancelled by the user (retry clears this)"
            record.finishedAt = Date()
            save(record)
            writeMarker(for: record.sourcePath, reason: record.reason!, job: id)
            return schedule()
        }
        // An OOM kill beside other jobs is the machine's doing; alone, the file needs more memory
        // than there is, and it counts as a failure (else it would run and be killed forever).
        if job.memoryStop == nil, !runAlone.contains(record.sourcePath), job.stalledFor == nil, exit == .signalled(SIGKILL),
           let kills = Self.outOfMemoryKills(), kills > (job.outOfMemoryKillsAtStart ?? kills) {
            job.memoryStop = "killed by the kernel's out-of-memory killer"
        }
        if let reason = job.memoryStop {
            // Not the file's fault: no attempt is counted; it runs again when nothing else does.
            removeTemporaryFiles(of: record)
            record.status = .interrupted
            record.reason = "stopped: \(reason); it will run again alone"
            record.finishedAt = Date()
            save(record)
            runAlone.insert(record.sourcePath)
            probed[facts] = nil
            log(.warning, record.reason!, job: id, file: record.sourcePath)
            return schedule()
        }
        if let fault = environmentFault(of: job, exit: exit) {
            removeTemporaryFiles(of: record)
            record.status = .interrupted
            record.reason = "not the file's fault: \(fault); queued again when the folder takes files"
            record.finishedAt = Date()
            save(record)
            log(.warning, record.reason!, job: id, file: record.sourcePath)
            return schedule()
        }
        runAlone.remove(record.sourcePath)
        switch (job.outcome, exit) {
        case (.verified(let summary), .exited(0)):
            // The engine removes a finished title's chunks itself; this covers a folder it could not.
            removeChunks(of: record)
            counters.bytes += summary.outputBytes
            accept(record, summary: summary)
        case (.nothingToDo(let reason), _):
            removeTemporaryFiles(of: record)
            removeChunks(of: record)
            record.status = .skipped
            record.reason = reason
            record.finishedAt = Date()
            save(record)
            writeMarker(for: record.sourcePath, reason: reason, job: id)
        default:
            // A source changed under the encode (a truncated read, a short file) is not the file's failure.
            if let what = sourceChange(of: record) { return requeueChangedSource(record, what: what) }
            var reason: String
            if case .failed(let said, _) = job.outcome { reason = said } else { reason = "worker \(exit.description)" }
            if let stalled = job.stalledFor { reason = "stalled: no progress for \(Int(stalled)) s; worker killed" }
            keepFailedOutput(of: record)
            removeChunks(of: record)
            record.status = .failed
            record.reason = reason
            record.finishedAt = Date()
            save(record)
            log(.error, "failed (attempt \(record.attempt) of \(config.maxAttempts)): \(reason)", job: id, file: record.sourcePath)
            if record.attempt >= config.maxAttempts { writeMarker(for: record.sourcePath, reason: reason, job: id) }
            probed[facts] = nil
            pruneFailedOutputs()
        }
        schedule()
    }

    /// The output is verified: apply the size gate, then replace the original off the queue
    /// (copying gigabytes must not hold up progress of other jobs).
    private func accept(_ record: JobRecord, summary: EncodeSummary) {
        var record = record
        record.newBytes = summary.outputBytes
        record.encoderUsed = summary.encoder
        record.presetUsed = summary.preset
        record.crfUsed = summary.crf
        record.framesEncoded = summary.framesEncoded
        record.streams = summary.streams
        record.notes = summary.notes.isEmpty ? nil : summary.notes
        record.progress = 100
        learnFromPrediction(&record)
        let verdict = SizeGate(maxSizeRatio: config.maxSizeRatio).verdict(originalBytes: record.originalBytes, newBytes: summary.outputBytes)
        guard verdict.replacesOriginal else {
            let ratio = String(format: "%.2f", verdict.ratio)
            let reason = "new file would be \(ratio) of the original; max_size_ratio is \(config.maxSizeRatio)"
            removeTemporaryFiles(of: record)
            record.status = .skipped
            record.reason = reason
            record.finishedAt = Date()
            save(record)
            return writeMarker(for: record.sourcePath, reason: reason, job: record.id)
        }
        let replacer = self.replacer
        replacing.insert(record.sourcePath)
        let accepted = record
        DispatchQueue.global().async { [unowned self] in
            var job = accepted
            job.finishedAt = Date()
            let result = Result { () throws(ReplaceError) in try replacer.replace(&job, verifiedOutput: accepted.tempOutputPath!) }
            let finished = job
            queue.async { [unowned self] in replaced(finished, result: result) }
        }
    }

    /// Compares the prediction with the full encode's real size: the error is kept on the job and
    /// in the history the gate's margin is learned from.
    private func learnFromPrediction(_ record: inout JobRecord) {
        guard let predicted = record.predictedRatio, let new = record.newBytes, record.originalBytes > 0 else { return }
        let real = Double(new) / Double(record.originalBytes)
        record.predictionError = (predicted - real) / real
        do { try predictions.record(predicted: predicted, real: real) } catch {
            log(.warning, "prediction history not updated: \(error)", job: record.id)
        }
    }

    private func replaced(_ job: JobRecord, result: Result<Void, ReplaceError>) {
        replacing.remove(job.sourcePath)
        switch result {
        case .success:
            announce(job)
            let saved = job.originalBytes - (job.newBytes ?? job.originalBytes)
            log(.info, "replaced: \(Self.megabytes(job.originalBytes)) -> \(Self.megabytes(job.newBytes ?? 0)), saved \(Self.megabytes(saved))",
                job: job.id, file: job.outputPath)
        case .failure(ReplaceError.sourceChanged(let what)):
            return requeueChangedSource(job, what: what)
        case .failure(let error):
            // Nothing in the library changed that is not recorded; the original is intact.
            if let fault = replacementEnvironmentFault(job, error: error.underlying) {
                var interrupted = job
                interrupted.status = .interrupted
                interrupted.reason = "not the file's fault: replacement failed, \(fault); queued again when it takes files"
                interrupted.replaceStep = nil
                if let temp = job.tempOutputPath { unlink(temp) }
                save(interrupted)
                log(.warning, interrupted.reason!, job: job.id, file: job.sourcePath)
                return schedule()
            }
            var failed = job
            let reason = "replacement failed: \(error)"
            failed.status = .failed
            failed.reason = reason
            failed.replaceStep = nil
            save(failed)
            log(.error, reason, job: job.id, file: job.sourcePath)
            if job.attempt >= config.maxAttempts { writeMarker(for: job.sourcePath, reason: reason, job: job.id) }
        }
        schedule()
    }

    /// Not the file's fault and not a result: no attempt counted, no marker; the new content is
    /// encoded once it has settled.
    private func requeueChangedSource(_ job: JobRecord, what: String) {
        removeTemporaryFiles(of: job)
        removeChunks(of: job)
        var changed = job
        changed.status = .interrupted
        changed.reason = ReplaceError.sourceChanged(what).description + "; queued again once stable"
        changed.replaceStep = nil
        changed.stagedPath = nil
        changed.finishedAt = Date()
        save(changed)
        probed = probed.filter { $0.key.path != job.sourcePath }
        log(.warning, changed.reason!, job: job.id, file: job.sourcePath)
        schedule()
    }

    /// What changed about the job's source since it started, or nil when it is the same file.
    private func sourceChange(of job: JobRecord) -> String? {
        guard let recorded = job.sourceIdentity else { return nil }
        do {
            let differences = try Replacer.identity(of: job.sourcePath, roots: config.roots).differences(from: recorded)
            return differences.isEmpty ? nil : differences.joined(separator: ", ")
        } catch .system(let error) where error.code == ENOENT {
            return "it is gone"
        } catch {
            return nil
        }
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

    /// A failed encode keeps what it wrote, as `<job id>.mkv.tmp`, for debugging (pruned later).
    private func keepFailedOutput(of record: JobRecord) {
        guard let temp = record.tempOutputPath else { return }
        let partial = OutputTarget.temporaryPath(for: temp)
        if FileManager.default.fileExists(atPath: partial) { rename(partial, temp) }
    }

    /// Where a title's finished chunks wait for the next run of its job (`ChunkFolders`). Kept
    /// through a shutdown, a kill or a memory stop; removed when the job succeeds, fails or is
    /// cancelled, and by start-up recovery and the hourly pruning once no job can resume from it.
    func chunkFolder(for sourcePath: String) -> String {
        ChunkFolders(tempDirectory: config.tempOutputDir).path(for: sourcePath)
    }

    func removeChunks(of record: JobRecord) {
        let folder = chunkFolder(for: record.sourcePath)
        guard FileManager.default.fileExists(atPath: folder) else { return }
        do { try FileManager.default.removeItem(atPath: folder) } catch {
            log(.warning, "cannot remove the chunk folder \(folder): \(error)", job: record.id, file: record.sourcePath)
        }
    }

    func removeTemporaryFiles(of record: JobRecord) {
        guard let temp = record.tempOutputPath else { return }
        unlink(temp)
        unlink(OutputTarget.temporaryPath(for: temp))
    }

    /// Once a second: stalled workers are killed, probes that hang are killed, memory is judged.
    func watchWorkers() {
        for job in running.values {
            judgeMemory(of: job)
            let silence = job.worker.silence
            if silence > TimeInterval(config.stallTimeoutSecs), job.stalledFor == nil {
                job.stalledFor = silence
                log(.error, "no progress for \(Int(silence)) s; killing the worker", job: job.record.id, file: job.record.sourcePath)
                job.worker.signal(SIGKILL)
            }
        }
        // A probe prints one line at its end: "silence" is its whole run time.
        for (path, worker) in probing where worker.silence > 60 {
            log(.error, "probe hangs; killing it", file: path)
            worker.signal(SIGKILL)
        }
    }

    private func judgeMemory(of job: RunningJob) {
        guard job.memoryStop == nil else { return }
        let rss = job.worker.residentBytes
        job.record.rssBytes = rss
        job.record.peakRssBytes = max(job.record.peakRssBytes ?? 0, rss)
        placer.observe(job.record.id, residentBytes: rss)
        guard let budget = placer.budget, let estimate = placer.estimate(of: job.record.id) else { return }
        switch RSSPolicy().judge(rss: rss, estimate: estimate, budget: budget) {
        case .ok: break
        case .report(let reason):
            if !job.memoryWarned { log(.warning, reason, job: job.record.id, file: job.record.sourcePath) }
            job.memoryWarned = true
        case .stop(let reason):
            job.memoryStop = reason
            log(.error, "\(reason); stopping the worker", job: job.record.id, file: job.record.sourcePath)
            job.worker.signal(SIGKILL)
        }
    }
}
