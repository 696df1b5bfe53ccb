import Foundation
import NativeEncode

/// Start-up recovery: nothing is left "running" forever, half-done replacements are rolled
/// forward (or back when nothing in the library had changed yet), orphaned temporary files go.
public struct Recovery {
    let store: JobStore
    let replacer: Replacer
    let tempDirectory: String
    let failedRetention: TimeInterval
    let log: DaemonLog

    public init(store: JobStore, replacer: Replacer, tempDirectory: String, failedRetentionDays: Int, log: DaemonLog) {
        self.store = store
        self.replacer = replacer
        self.tempDirectory = tempDirectory
        failedRetention = TimeInterval(failedRetentionDays) * 86_400
        self.log = log
    }

    public func run(now: Date = Date()) {
        for var job in store.all where !job.status.isFinal && job.status != .interrupted {
            if let pid = job.workerPid { stopLeftoverWorker(pid) }
            var reason = "the daemon stopped during the job; it is queued again"
            if job.status == .replacing {
                do {
                    if try replacer.resume(&job) {
                        log(.info, "finished a replacement interrupted by a crash", job: job.id, file: job.sourcePath)
                        continue
                    }
                } catch .sourceChanged(let what) {
                    // The replacement undid its own part; the changed source is left as it is.
                    reason = ReplaceError.sourceChanged(what).description + "; queued again once stable"
                    job.replaceStep = nil
                    log(.warning, "interrupted replacement not finished: \(reason)", job: job.id, file: job.sourcePath)
                } catch {
                    log(.error, "could not finish an interrupted replacement: \(error); the original is kept", job: job.id, file: job.sourcePath)
                }
            }
            job.status = .interrupted
            job.reason = reason
            job.finishedAt = now
            job.clearLiveFigures()
            try? store.save(job)
            log(.info, "interrupted job re-queued", job: job.id, file: job.sourcePath)
        }
        removeOrphans(now: now)
    }

    /// A worker of the previous daemon notices its orphaning within a moment and exits; make
    /// sure it is gone before its files are judged. Only a process that is an av1d worker is touched.
    private func stopLeftoverWorker(_ pid: Int32) {
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.count > 1, arguments[1] == "worker" else { return }
        kill(pid, SIGKILL)
        for _ in 0..<50 where FileManager.default.fileExists(atPath: "/proc/\(pid)") { usleep(20_000) }
        log(.info, "stopped a worker left over from the previous run (pid \(pid))")
    }

    /// Partial encodes always go; a failed job's output stays for debugging until the retention ends;
    /// every other job's output goes, and so do chunk folders no unfinished job can resume from.
    private func removeOrphans(now: Date) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tempDirectory)) ?? []
        let failed = Dictionary(store.all.filter { $0.status == .failed }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for name in names {
            let path = (tempDirectory as NSString).appendingPathComponent(name)
            if OutputTarget.isPartial(name: name) { remove(path); continue }
            guard name.hasSuffix(".mkv.tmp") else { continue }
            let id = String(name.dropLast(".mkv.tmp".count))
            if let job = failed[id], now.timeIntervalSince(job.finishedAt ?? job.createdAt) < failedRetention { continue }
            remove(path)
        }
        // After the jobs above were settled: chunks of titles no job will encode again.
        for folder in ChunkFolders(tempDirectory: tempDirectory).removeOrphans(jobs: store.all) {
            log(.info, "removed the chunks of a title no job encodes any more", file: folder)
        }
    }

    private func remove(_ path: String) {
        if unlink(path) == 0 { log(.info, "removed leftover temporary file", file: path) }
    }
}
