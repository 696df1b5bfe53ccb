import AV1Daemon
import Foundation
import Testing
import LinuxSupport
import WorkerProtocol

/// The control socket and metrics of a real daemon, driving real jobs.
@Suite("Daemon control", .serialized)
struct DaemonControlTests {
    @Test("status, pause, cancel, retry and resume through the socket; av1d status reads it live")
    func controlSocket() throws {
        let daemon = try DaemonHarness(["metrics_listen": "\"127.0.0.1:19464\""])
        try daemon.add("bbb720-loop.mp4", as: "long.mp4")
        try daemon.start()
        // Actions wait for the supervisor's queue, which a loaded machine can hold for seconds
        // (status does not: ResponsivenessTests); this test is about what they do, not how fast.
        let client = ControlClient(path: daemon.root + "/state/av1d.sock", timeout: 60)
        #expect(daemon.wait { (try? client.send(ControlRequest(command: .status)))?.snapshot?.running.first?.framesEncoded ?? 0 > 0 },
                "\(daemon.log)")

        // `av1d status --json` answers from the socket: live numbers with the CPU set and memory.
        let status = Media.run([DaemonHarness.binary, "status", "--config", daemon.configPath, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        let running = try #require((json["running"] as? [[String: Any]])?.first)
        #expect(running["source_path"] as? String == daemon.library + "/long.mp4")
        #expect((running["progress"] as? Double ?? -1) >= 0)
        #expect(running["cpus"] as? String != nil && (running["rss_bytes"] as? Int ?? 0) > 0)
        #expect((json["totals"] as? [String: Any])?["bytes_saved"] != nil)

        // Metrics: Prometheus text with the running job's fps, labelled by slot, never by path.
        let metrics = Media.run(["curl", "-s", "http://127.0.0.1:19464/metrics"]).output
        #expect(metrics.contains("# TYPE av1d_job_fps gauge"))
        #expect(metrics.contains("av1d_jobs{state=\"running\"} 1"))
        #expect(!metrics.contains(daemon.library))

        #expect(try client.send(ControlRequest(command: .pause)).ok)
        let id = try #require(try client.send(ControlRequest(command: .status)).snapshot?.running.first?.id)
        #expect(try client.send(ControlRequest(command: .cancel, job: "no-such-job")).ok == false)
        #expect(try client.send(ControlRequest(command: .cancel, job: id)).ok)
        #expect(daemon.wait { daemon.records(for: "long.mp4").last?.status == .skipped }, "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: daemon.library + "/long.mp4.av1skip"))

        // Retry clears the marker; while paused nothing starts, after resume the file is encoded.
        #expect(try client.send(ControlRequest(command: .retry, path: daemon.library + "/long.mp4")).ok)
        #expect(!FileManager.default.fileExists(atPath: daemon.library + "/long.mp4.av1skip"))
        Thread.sleep(forTimeInterval: 3)
        #expect(daemon.records(for: "long.mp4").allSatisfy { $0.status != .running })
        #expect(try client.send(ControlRequest(command: .resume)).ok)
        #expect(daemon.wait(timeout: 120) { daemon.records(for: "long.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: daemon.root + "/state/av1d.sock"), "the socket is removed at exit")
    }
}
