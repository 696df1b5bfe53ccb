import AV1Daemon
import Foundation
import Testing

/// Crashes, kills, full disks and misbehaving workers: the library always keeps one complete,
/// playable copy of every title, and the daemon goes on.
@Suite("Daemon robustness", .serialized)
struct RobustnessTests {
    /// After a restart: the title exists exactly once, as a playable AV1 `.mkv`; nothing temporary remains.
    private func expectSingleCompleteCopy(_ daemon: DaemonHarness, stem: String, sourceExtension: String) {
        let names = daemon.files()
        #expect(names.filter { $0.hasPrefix(stem + ".") } == [stem + ".mkv"], "library holds \(names)")
        #expect(Media.videoCodec(daemon.library + "/\(stem).mkv") == "av1")
        #expect(Media.decodesCleanly(daemon.library + "/\(stem).mkv"))
        #expect(!names.contains { $0.hasPrefix(".") }, "no staged file left: \(names)")
        #expect(daemon.files(in: daemon.temp).isEmpty, "temp holds \(daemon.files(in: daemon.temp))")
    }

    @Test("kill -9 mid-encode or mid-verify: the restart re-queues the job and completes it", arguments: [
        JobStatus.running, .verifying,
    ])
    func killDuringJob(at status: JobStatus) throws {
        let daemon = try DaemonHarness()
        let original = try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        let sha = Media.sha(original)
        try daemon.start()
        #expect(daemon.wait(poll: 0.01) {
            guard let job = daemon.records(for: "movie.mp4").last else { return false }
            return job.status == status && (status != .running || (job.framesEncoded ?? 0) > 10)
        }, "\(daemon.log)")
        try daemon.crash()
        #expect(Media.sha(original) == sha, "the original is untouched by the crash")

        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(daemon.records(for: "movie.mp4").contains { $0.status == .interrupted })
        expectSingleCompleteCopy(daemon, stem: "movie", sourceExtension: "mp4")
    }

    /// `movie.mkv` → `movie.mkv` swaps the names (RENAME_EXCHANGE); after `renamed` the original
    /// waits under the staged name for its removal.
    @Test("kill -9 between the replacement's steps: the restart rolls it forward", arguments: [
        ReplaceStep.staged, .renamed,
    ], ["movie.mp4", "movie.mkv"])
    func killDuringReplacement(after step: ReplaceStep, name: String) throws {
        let daemon = try DaemonHarness()
        try daemon.add("bframes-movtext.mp4", as: name)
        try daemon.start(environment: ["AV1D_TEST_CRASH_AFTER": step.rawValue])
        // The daemon kills itself with SIGKILL right after recording the step.
        #expect(daemon.wait { daemon.process?.isRunning == false }, "\(daemon.log)")
        let crashed = try #require(daemon.records(for: name).last)
        #expect(crashed.status == .replacing && crashed.replaceStep == step)
        // At the instant of the crash the title exists completely at least once.
        let names = daemon.files()
        #expect(names.contains("movie.mp4") || names.contains("movie.mkv"))
        if step == .renamed { #expect(Media.decodesCleanly(daemon.library + "/movie.mkv")) }

        try daemon.start()
        #expect(daemon.wait { daemon.records(for: name).last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        expectSingleCompleteCopy(daemon, stem: "movie", sourceExtension: "mp4")
        #expect(daemon.records(for: name).count == 1, "the same job finished; no second encode")
    }

    @Test("disk full while writing the output: a clear reason, the original intact, the next file goes on")
    func diskFull() throws {
        let daemon = try DaemonHarness(["min_bytes": "1000", "schedule_order": "\"smallest_first\"", "max_attempts": "1"])
        let big = try daemon.add("bbb720.mp4")
        try daemon.add("hdr10.mkv")
        let sha = Media.sha(big)
        try daemon.start(fileSizeLimit: 150_000)
        #expect(daemon.wait {
            daemon.records(for: "bbb720.mp4").last?.status == .failed && daemon.records(for: "hdr10.mkv").last?.status == .success
        }, "\(daemon.log)")
        _ = try daemon.stop()
        let reason = daemon.records(for: "bbb720.mp4").last?.reason ?? ""
        // RLIMIT_FSIZE makes write(2) fail with EFBIG; a full disk would say "No space left on device".
        #expect(reason.contains("File too large"), "reason: \(reason)")
        #expect(Media.sha(big) == sha)
        #expect(!daemon.files(in: daemon.temp).contains { $0.hasPrefix(".") }, "no partial file left")
    }

    @Test("a worker that crashes (SIGSEGV) or stalls (SIGSTOP) costs one job; the daemon goes on", arguments: [
        SIGSEGV, SIGSTOP,
    ])
    func misbehavingWorker(signal: Int32) throws {
        let daemon = try DaemonHarness(["stall_timeout_secs": "5", "schedule_order": "\"path\"", "max_attempts": "1"])
        try daemon.add("bbb720-loop.mp4", as: "a.mp4")
        try daemon.add("multitrack.mkv", as: "b.mkv")
        try daemon.start()
        var pid: Int32 = 0
        #expect(daemon.wait {
            guard let job = daemon.records(for: "a.mp4").last, (job.framesEncoded ?? 0) > 0, let worker = job.workerPid else { return false }
            pid = worker
            return true
        }, "\(daemon.log)")
        kill(pid, signal)
        #expect(daemon.wait {
            daemon.records(for: "a.mp4").last?.status == .failed && daemon.records(for: "b.mkv").last?.status == .success
        }, "\(daemon.log)")
        let reason = daemon.records(for: "a.mp4").last?.reason ?? ""
        if signal == SIGSEGV { #expect(reason.contains("signal 11"), "reason: \(reason)") }
        if signal == SIGSTOP { #expect(reason.contains("stalled"), "reason: \(reason)") }
        #expect(daemon.process?.isRunning == true)
        #expect(try daemon.stop().status == 0)
        #expect(daemon.files().contains("a.mp4"), "the original stays")
    }

    @Test("failures are retried max_attempts times across restarts, then the file is marked")
    func attempts() throws {
        let daemon = try DaemonHarness()
        try daemon.add("garbage.mkv")
        for attempt in 1...2 {
            try daemon.start()
            #expect(daemon.wait { daemon.records(for: "garbage.mkv").filter { $0.status == .failed }.count == attempt }, "\(daemon.log)")
            _ = try daemon.stop()
        }
        #expect(FileManager.default.fileExists(atPath: daemon.library + "/garbage.mkv.av1skip"))
        #expect((try? String(contentsOfFile: daemon.library + "/garbage.mkv.why.txt", encoding: .utf8))?.contains("Invalid data") == true)
        try daemon.start()
        Thread.sleep(forTimeInterval: 2.5)
        _ = try daemon.stop()
        #expect(daemon.records(for: "garbage.mkv").count == 2, "no third attempt")
    }

    @Test("keep_original keeps the original under a name the scanner ignores; a different movie.mkv is never overwritten nor encoded for")
    func namesAndKeepOriginal() throws {
        let daemon = try DaemonHarness(["keep_original": "true"])
        try daemon.add("bframes-movtext.mp4", as: "kept/movie.mp4")
        try daemon.add("multitrack.mkv", as: "clash/movie.mp4")
        try daemon.add("av1.mkv", as: "clash/movie.mkv")  // already AV1: skipped, so it stays as it is
        let clash = Media.sha(daemon.library + "/clash/movie.mkv")
        try daemon.start()
        #expect(daemon.wait {
            daemon.records(for: "kept/movie.mp4").last?.status == .success && daemon.records(for: "clash/movie.mp4").last?.status == .skipped
        }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(daemon.files(in: daemon.library + "/kept") == ["movie.mkv", "movie.mp4.av1d-original"])
        #expect(Media.decodesCleanly(daemon.library + "/kept/movie.mkv"))
        #expect(Media.sha(daemon.library + "/clash/movie.mkv") == clash)
        #expect(daemon.records(for: "clash/movie.mp4").last?.reason?.contains("never overwritten") == true)
        #expect(daemon.records(for: "clash/movie.mp4").allSatisfy { $0.startedAt == nil }, "skipped before an encode was wasted")
    }

    @Test("SIGHUP reloads the configuration")
    func reload() throws {
        let daemon = try DaemonHarness(["exclude": "[\"*/later/*\"]"])
        try daemon.add("multitrack.mkv", as: "later/clip.mkv")
        try daemon.start()
        Thread.sleep(forTimeInterval: 2)
        #expect(daemon.records(for: "later/clip.mkv").isEmpty)
        let text = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "exclude = [\"*/later/*\"]", with: "exclude = []")
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        kill(try #require(daemon.process).processIdentifier, SIGHUP)
        #expect(daemon.wait { daemon.records(for: "later/clip.mkv").last?.status == .success }, "\(daemon.log)")
        #expect(daemon.log.contains("configuration reloaded"))
        _ = try daemon.stop()
    }

    @Test("two jobs at once on disjoint CPU sets; every worker thread stays inside its set")
    func twoJobsDisjointCPUs() throws {
        let usable = (try? String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)) ?? ""
        // Placement is under test, not prediction: both workers go straight to their encodes.
        let daemon = try DaemonHarness(["max_concurrent_jobs": "2", "predict": "false"])
        try daemon.add("bbb720-loop.mp4", as: "one.mp4")
        try daemon.add("bbb720-loop.mp4", as: "two.mp4")
        try daemon.start()
        var sets: [Int32: String] = [:]
        var outside: [String] = []
        #expect(daemon.wait(timeout: 240, poll: 0.1) {
            let running = daemon.records.filter { $0.status == .running && ($0.framesEncoded ?? 0) > 0 }
            for job in running {
                guard let pid = job.workerPid, let cpus = job.cpus else { continue }
                sets[pid] = cpus
                for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
                    guard let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8),
                          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { continue }
                    let allowed = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
                    if allowed != cpus { outside.append("\(pid)/\(task): \(allowed) not \(cpus)") }
                }
            }
            return running.count == 2
        }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(sets.count == 2, "both workers seen (CPUs online: \(usable))")
        let lists = Array(sets.values)
        if lists.count == 2 { #expect(lists[0] != lists[1], "disjoint sets \(lists)") }
        #expect(outside.isEmpty, "\(outside.prefix(5))")
    }
}
