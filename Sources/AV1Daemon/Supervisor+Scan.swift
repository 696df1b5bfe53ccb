import Foundation
import NativeEncode
import WorkerProtocol

extension Supervisor {
    /// One pass over the library: the walk on `scanQueue` (a 100,000-file or slow network library
    /// must not hold up status, workers or the watchdog), then on the queue: cheap gates,
    /// stability, probes for what is new, then scheduling. A scan asked for during a walk runs after it.
    func scanCycle() {
        guard acceptingWork else { return }
        guard !scanning else { scanAgain = true; return }
        scanning = true
        // Only one walk at a time uses a scanner, and only on `scanQueue`; the queue keeps its
        // own reference and hands the result back: no state is shared while the walk runs.
        nonisolated(unsafe) let scanner = scanner
        let roots = config.libraryRoots
        scanQueue.async { [unowned self] in
            nonisolated(unsafe) let result = scanner.scan(roots: roots)
            queue.async { [unowned self] in
                scanning = false
                // A reload replaced the scanner (other roots or gates): its own walk decides.
                if scanner === self.scanner { absorb(result) }
                if scanAgain {
                    scanAgain = false
                    scanCycle()
                }
            }
        }
    }

    private func absorb(_ result: LibraryScanner.Result) {
        guard acceptingWork else { return }
        for folder in result.newlyUnreadable { log(.warning, "folder cannot be read; skipped", file: folder) }
        watcher?.watch(result.folders)
        let history = JobHistory(store.all)
        // A replacement in flight makes its `<stem>.mkv` before its record says Success: not a new file.
        let busy = Set(running.values.map(\.record.sourcePath)).union(probing.keys).union(replacing)
            .union(replacing.map(Replacer.finalPath(for:)))
        var seen = Set<String>()
        var fresh: [String: Candidate] = [:]
        awaitingProbe = 0
        for facts in result.videos {
            seen.insert(facts.path)
            guard !busy.contains(facts.path), !history.isSettled(facts, maxAttempts: config.maxAttempts),
                  stability.isStable(facts) else { continue }
            switch probed[facts] {
            case .encode(let probe): fresh[facts.path] = Candidate(facts: facts, probe: probe)
            case .skip, .unreadable: continue
            case nil: if !startProbe(facts) { awaitingProbe += 1 }
            }
        }
        stability.keepOnly(seen)
        waitingForName = waitingForName.filter { seen.contains($0.key) }
        probed = probed.filter { seen.contains($0.key.path) }
        candidates = fresh
        schedule()
        reportStatus()
    }

    func reportStatus() {
        let pause = storage.isClosed ? ", storage pause" : thermal.isClosed ? ", thermal pause" : ""
        setStatus("\(running.count) running, \(candidates.count) queued, \(probing.count) probing\(pause)")
    }

    // MARK: Probing, in a worker process: a hostile file may crash the C libraries.

    /// Probes are short and mostly I/O: two at a time keep the queue fed without stealing CPUs.
    private var probeLimit: Int { 2 }

    /// Whether a probe started; at most `probeLimit` run at once.
    @discardableResult
    func startProbe(_ facts: FileFacts) -> Bool {
        guard probing.count < probeLimit, acceptingWork else { return false }
        let box = ProbeResultBox()
        do {
            let worker = try WorkerProcess(
                executable: executable, request: .probe(facts.path), queue: queue,
                onMessage: { message in box.message = message },
                onExit: { [unowned self] exit in finishProbe(facts, message: box.message, exit: exit) })
            probing[facts.path] = worker
            return true
        } catch {
            log(.error, "cannot start a probe worker: \(error)", file: facts.path)
            return false
        }
    }

    private func finishProbe(_ facts: FileFacts, message: WorkerMessage?, exit: WorkerProcess.Exit) {
        probing[facts.path] = nil
        guard !shuttingDown else { return }
        let outcome: ProbeOutcome
        if let probe = message?.probe {
            outcome = ProbeOutcome.gate(probe, skipDynamicHDR: config.skipDynamicHDR)
        } else {
            outcome = .unreadable(message?.reason ?? "probe worker \(exit.description)")
        }
        probed[facts] = outcome
        switch outcome {
        case .encode(let probe):
            candidates[facts.path] = Candidate(facts: facts, probe: probe)
            schedule()
        case .skip(let reason, let probe):
            recordSkip(facts, reason: reason, probe: probe)
        case .unreadable(let reason):
            recordFailure(facts, reason: "unreadable: \(reason)")
        }
    }

    /// A skip is final for this version of the file: a job record, the marker, the reason.
    func recordSkip(_ facts: FileFacts, reason: String, probe: ProbeFacts?) {
        var job = JobRecord(sourcePath: facts.path, originalBytes: facts.size, sourceMtime: facts.mtime, attempt: 1)
        job.status = .skipped
        job.reason = reason
        job.finishedAt = Date()
        if let probe { job.describe(probe) }
        save(job)
        writeMarker(for: facts.path, reason: reason, job: job.id)
    }

    /// A failure without a worker job (the probe). After `max_attempts` the file is marked.
    func recordFailure(_ facts: FileFacts, reason: String) {
        let attempt = JobHistory(store.all).failures(of: facts) + 1
        var job = JobRecord(sourcePath: facts.path, originalBytes: facts.size, sourceMtime: facts.mtime, attempt: attempt)
        job.status = .failed
        job.reason = reason
        job.finishedAt = Date()
        save(job)
        log(.error, "failed (attempt \(attempt) of \(config.maxAttempts)): \(reason)", job: job.id, file: facts.path)
        if attempt >= config.maxAttempts { writeMarker(for: facts.path, reason: reason, job: job.id) }
    }

    func writeMarker(for path: String, reason: String, job: String) {
        do {
            try SkipMarker.write(for: path, reason: reason, sidecar: config.writeWhySidecars)
            log(.info, "skipped: \(reason)", job: job, file: path)
        } catch {
            log(.warning, "skipped (\(reason)), but the skip marker could not be written: \(error)", job: job, file: path)
        }
    }

    func save(_ job: JobRecord) {
        store.saveLater(job)
        announce(job)
    }

    /// Tells the webhook, if any, that a worker job ended (not probes' skips: those would flood it).
    func announce(_ job: JobRecord) {
        guard let webhook, job.startedAt != nil, job.status == .success || job.status == .failed else { return }
        webhook.notify(event: job.status == .success ? .finished : .failed,
                       job: DaemonSnapshot.FinishedJob(record: job))
    }
}

/// The last message of a probe worker, handed from its reader to its exit handler.
final class ProbeResultBox: @unchecked Sendable {
    var message: WorkerMessage?
}

/// The job store seen per file, built once per scan.
struct JobHistory {
    private var byPath: [String: [JobRecord]] = [:]
    private var outputs: [String: Int64] = [:]

    init(_ jobs: [JobRecord]) {
        for job in jobs {
            byPath[job.sourcePath, default: []].append(job)
            if job.status == .success, let output = job.outputPath { outputs[output] = job.newBytes }
        }
    }

    /// Nothing more to do for this version of the file: it is our own output, or it was skipped,
    /// encoded, or failed `maxAttempts` times.
    func isSettled(_ facts: FileFacts, maxAttempts: Int) -> Bool {
        if let size = outputs[facts.path], size == facts.size { return true }
        let same = sameVersion(facts)
        return same.contains { $0.status == .skipped || $0.status == .success } || failures(of: facts) >= maxAttempts
    }

    func failures(of facts: FileFacts) -> Int { sameVersion(facts).filter { $0.status == .failed }.count }

    private func sameVersion(_ facts: FileFacts) -> [JobRecord] {
        (byPath[facts.path] ?? []).filter { $0.originalBytes == facts.size && abs($0.sourceMtime - facts.mtime) < 0.001 }
    }
}

extension JobRecord {
    mutating func describe(_ probe: ProbeFacts) {
        videoCodec = probe.videoCodec
        videoWidth = probe.width
        videoHeight = probe.height
        videoBitrate = probe.bitRate
        videoFrameRate = probe.frameRate
        sourceBitDepth = probe.bitDepth
        sourcePixFmt = probe.pixelFormat
        isHdr = probe.isHDR
        framesTotal = probe.estimatedFrames
    }
}
