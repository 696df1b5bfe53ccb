import AV1Daemon
import Foundation
import LinuxSupport
import Testing
import WorkerProtocol

/// Faults of the machine, not of the file: a missing temp folder, a full temp or job disk, a
/// reload into an unusable folder. None counts as an attempt or writes a skip marker; the daemon
/// pauses with the reason in `av1d status` and resumes by itself. `max_attempts = 1` throughout:
/// one counted failure would mark the file.
@Suite("Environment faults", .serialized)
struct EnvironmentFaultTests {
    @Test("a reload into a missing folder is refused: the old config stays and files still encode", arguments: [
        "temp_output_dir", "job_state_dir",
    ])
    func reloadIntoMissingFolder(key: String) throws {
        let daemon = try DaemonHarness(["max_attempts": "1"])
        try daemon.start()
        #expect(daemon.wait { daemon.log.contains("started:") }, "\(daemon.log)")
        let missing = daemon.root + "/nowhere/folder"
        try daemon.reload(key, "\"\(missing)\"")
        #expect(daemon.wait { daemon.log.contains("configuration not reloaded") }, "\(daemon.log)")
        #expect(daemon.log.contains("\(key) \(missing) cannot take files"), "\(daemon.log)")
        try daemon.add("bframes-movtext.mp4", as: "movie.mp4")
        #expect(daemon.wait(timeout: 120) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        let jobs = daemon.records(for: "movie.mp4")
        #expect(jobs.count == 1 && jobs.first?.attempt == 1)
        #expect(jobs.first?.tempOutputPath?.hasPrefix(daemon.temp + "/") == true, "the old temp folder was used")
        #expect(daemon.markers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: missing), "the refused folder was not created")
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
    }

    @Test("the temp folder removed under a running encode: paused with the reason, no attempt, no marker; recreated → encodes")
    func tempFolderRemoved() throws {
        let daemon = try DaemonHarness(["max_attempts": "1"])
        let original = try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        let sha = Media.sha(original)
        try daemon.start()
        #expect(daemon.wait(timeout: 120) { (daemon.records(for: "movie.mp4").last?.framesEncoded ?? 0) > 10 }, "\(daemon.log)")
        try FileManager.default.removeItem(atPath: daemon.temp)

        #expect(daemon.wait { daemon.admissionPause?.reason == "storage" }, "\(daemon.log)")
        let message = daemon.admissionPause?.message ?? ""
        #expect(message.contains("temp_output_dir \(daemon.temp)") && message.contains("No such file or directory"), "\(message)")
        // The encode under way cannot put its output in the missing folder: not the file's fault.
        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status == .interrupted }, "\(daemon.log)")
        let interrupted = daemon.records(for: "movie.mp4").last
        #expect(interrupted?.reason?.contains("not the file's fault") == true, "\(interrupted?.reason ?? "")")
        // Paused: nothing starts while the folder is missing (three re-checks).
        Thread.sleep(forTimeInterval: 7)
        #expect(daemon.records(for: "movie.mp4").map(\.status) == [.interrupted])
        #expect(daemon.markers.isEmpty)
        #expect(daemon.admissionPause?.reason == "storage")
        #expect(daemon.log.components(separatedBy: "storage pause:").count == 2, "the journal says it once per episode")

        try FileManager.default.createDirectory(atPath: daemon.temp, withIntermediateDirectories: true)
        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        #expect(daemon.admissionPause == nil)
        _ = try daemon.stop()
        #expect(daemon.log.contains("storage pause over"))
        #expect(daemon.records(for: "movie.mp4").last?.attempt == 1, "the interrupted run was not counted")
        #expect(daemon.markers.isEmpty)
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
        #expect(Media.sha(original) != sha || !FileManager.default.fileExists(atPath: original), "replaced")
    }

    @Test("a full temp disk (ENOSPC on a small tmpfs): paused, no attempt, no marker; room made → encodes",
          .enabled(if: SmallMount.isAvailable, "mounting a tmpfs needs root (mount -t tmpfs -o size=...)"))
    func tempDiskFull() throws {
        let daemon = try DaemonHarness(["max_attempts": "1"])
        let mount = try SmallMount(at: daemon.temp, bytes: 2_000_000)
        defer { mount.unmount() }
        try mount.fill(leaving: 24_000)
        let original = try daemon.add("bbb720.mp4", as: "movie.mp4")
        let sha = Media.sha(original)
        try daemon.start()

        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status == .interrupted }, "\(daemon.log)")
        let reason = daemon.records(for: "movie.mp4").last?.reason ?? ""
        #expect(reason.contains("not the file's fault") && reason.contains("No space left on device"), "\(reason)")
        #expect(daemon.wait { daemon.admissionPause?.message.contains("waiting for") == true }, "\(daemon.admissionPause?.message ?? "")")
        #expect(daemon.markers.isEmpty)
        #expect(Media.sha(original) == sha)

        try mount.removeFiller()
        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(daemon.records(for: "movie.mp4").map(\.attempt) == [1, 1])
        #expect(daemon.markers.isEmpty)
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
    }

    @Test("a full job_state_dir under a running encode: paused, the original kept; once there is room the file encodes once more, not forever",
          .enabled(if: SmallMount.isAvailable, "mounting a tmpfs needs root (mount -t tmpfs -o size=...)"))
    func stateDiskFull() throws {
        let daemon = try DaemonHarness(["max_attempts": "1"])
        try FileManager.default.createDirectory(atPath: daemon.jobs, withIntermediateDirectories: true)
        let mount = try SmallMount(at: daemon.jobs, bytes: 400_000)
        defer { mount.unmount() }
        let original = try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        let sha = Media.sha(original)
        try daemon.start()
        #expect(daemon.wait(timeout: 120) { (daemon.records(for: "movie.mp4").last?.framesEncoded ?? 0) > 10 }, "\(daemon.log)")
        try mount.fill(leaving: 0)

        #expect(daemon.wait { daemon.admissionPause?.message.contains("job_state_dir") == true }, "\(daemon.log)")
        // The running job cannot record its replacement: it does not start it, the original stays.
        #expect(daemon.wait(timeout: 180) { daemon.log.contains("not the file's fault: replacement failed") }, "\(daemon.log)")
        #expect(Media.sha(original) == sha)
        #expect(daemon.markers.isEmpty)

        try mount.removeFiller()
        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        Thread.sleep(forTimeInterval: 4)
        _ = try daemon.stop()
        let encodes = daemon.log.components(separatedBy: "encoding on CPUs").count - 1
        #expect(encodes == 2, "one encode lost to the full disk, one that landed: \(encodes)")
        // The records the full disk refused were written once it had room.
        #expect(daemon.records(for: "movie.mp4").map(\.status) == [.interrupted, .success])
        #expect(daemon.markers.isEmpty)
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
    }

    @Test("a wall-clock step of two hours during an encode stalls nothing: timeouts run on the monotonic clock")
    func clockStep() throws {
        let daemon = try DaemonHarness(["max_attempts": "1", "stall_timeout_secs": "5"])
        let offset = daemon.root + "/clock-offset"
        try "0".write(toFile: offset, atomically: true, encoding: .utf8)
        try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        try daemon.start(environment: ["LD_PRELOAD": FaultShim.build("clock-step"), "AV1D_CLOCK_OFFSET_FILE": offset])
        let pid = try #require(daemon.worker(encoding: "movie.mp4"), "\(daemon.log)")
        // The worker holds still for 2.5 s (half the stall timeout) while the clock jumps: by the
        // wall clock it was silent for two hours.
        kill(pid, SIGSTOP)
        try "7200".write(toFile: offset, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 2.5)
        kill(pid, SIGCONT)
        #expect(daemon.wait(timeout: 180) { daemon.records(for: "movie.mp4").last?.status.isFinal == true }, "\(daemon.log)")
        _ = try daemon.stop()
        let jobs = daemon.records(for: "movie.mp4")
        #expect(jobs.map(\.status) == [.success], "\(jobs.map(\.reason))")
        #expect(!daemon.log.contains("no progress for"), "\(daemon.log)")
        #expect(jobs.last?.finishedAt.map { $0.timeIntervalSinceNow > 3600 } == true, "the daemon's wall clock did step")
        #expect(daemon.markers.isEmpty)
    }

    @Test("a failed job's output is pruned while the daemon runs once failed_output_retention_days have passed",
          arguments: [0, 7])
    func failedOutputsPruned(days: Int) throws {
        let daemon = try DaemonHarness(["max_attempts": "1", "failed_output_retention_days": "\(days)"])
        try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        try daemon.start()
        let pid = try #require(daemon.worker(encoding: "movie.mp4"), "\(daemon.log)")
        kill(pid, SIGSEGV)
        #expect(daemon.wait { daemon.records(for: "movie.mp4").last?.status == .failed }, "\(daemon.log)")
        Thread.sleep(forTimeInterval: 1)
        let kept = daemon.files(in: daemon.temp).filter { $0.hasSuffix(".mkv.tmp") }
        _ = try daemon.stop()
        if days == 0 {
            #expect(kept.isEmpty, "\(kept)")
        } else {
            #expect(kept == ["\(daemon.records(for: "movie.mp4").last?.id ?? "").mkv.tmp"], "kept for debugging: \(kept)")
        }
    }
}

/// A small tmpfs mounted for a test (root only): a real full disk, ENOSPC and all.
struct SmallMount {
    let path: String
    private var filler: String { path + "/.filler" }

    static let isAvailable: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-mount-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? SmallMount(at: probe, bytes: 100_000)) != nil else { return false }
        _ = Media.run(["umount", probe])
        return true
    }()

    init(at path: String, bytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = Media.run(["mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
        guard result.status == 0 else { throw SystemError("mount tmpfs: \(result.output)", path: path, code: EPERM) }
        self.path = path
    }

    /// Fills the file system until `bytes` remain free (0: until ENOSPC).
    func fill(leaving bytes: Int64) throws {
        var info = statvfs()
        statvfs(path, &info)
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        let count = bytes == 0 ? free + 4096 : max(free - bytes, 0)
        // head stops at ENOSPC: the file system is as full as it gets.
        _ = Media.run(["sh", "-c", "head -c \(count) /dev/zero > '\(filler)'"])
    }

    func removeFiller() throws { try FileManager.default.removeItem(atPath: filler) }

    func unmount() { _ = Media.run(["umount", "-l", path]) }
}
