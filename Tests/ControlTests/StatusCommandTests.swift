import AV1Daemon
import Foundation
import Testing

@Suite("av1d status")
struct StatusCommandTests {
    @Test("uses the control socket when the daemon runs, and keeps its JSON keys")
    func live() throws {
        let served = try ServedDaemon()
        let config = try writeConfig(in: served.folder.path, socket: served.socketPath)
        let result = try run(Binaries.av1d, ["status", "--config", config, "--json"])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let running = try #require(json["running"] as? [[String: Any]])
        #expect(running.first?["source_path"] as? String == FakeDaemon.runningPath)
        #expect(running.first?["progress"] as? Double == 42.5)
        #expect(running.first?["cpus"] as? String == "0-1")
        #expect(running.first?["rss_bytes"] as? Int == 512 << 20)
        #expect(rfc3339(running.first?["started_at"]) != nil, "started_at: \(running.first?["started_at"] ?? "absent")")
        #expect(json["queued"] as? Int == 2)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["success"] as? Int == 12)
        #expect(totals["bytes_saved"] as? Int == 40 << 30)

        let text = try run(Binaries.av1d, ["status", "--config", config])
        #expect(text.output.contains("encoding  42.5% 33.3 fps ETA 0:02:05 CPUs 0-1 RSS 512.0 MiB  \(FakeDaemon.runningPath)"), "\(text.output)")
    }

    @Test("reads the job store when no daemon answers")
    func offline() throws {
        let folder = try TemporaryFolder()
        let config = try writeConfig(in: folder.path, socket: folder.path + "/absent.sock")
        try FileManager.default.createDirectory(atPath: folder.path + "/jobs", withIntermediateDirectories: false)
        let result = try run(Binaries.av1d, ["status", "--config", config])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("no job running\ndone 0, failed 0, skipped 0"), "\(result.output)")
    }

    @Test("status and scan say nothing has run yet when job_state_dir does not exist, and create nothing")
    func nothingRunYet() throws {
        let folder = try TemporaryFolder()
        let config = try writeConfig(in: folder.path, socket: folder.path + "/state/av1d.sock", jobs: folder.path + "/state/jobs",
                                     library: folder.path + "/library")
        try FileManager.default.createDirectory(atPath: folder.path + "/library", withIntermediateDirectories: false)
        let expected = "nothing has run yet: no job store at \(folder.path)/state/jobs (the daemon creates it when it first runs)"

        let status = try run(Binaries.av1d, ["status", "--config", config])
        #expect(status.status == 0 && status.output == expected + "\n", "\(status.output)")
        let scan = try run(Binaries.av1d, ["scan", "--config", config])
        #expect(scan.status == 0, "\(scan.output)")
        #expect(scan.output.hasPrefix(expected + "\n0 to encode"), "\(scan.output)")
        // Scripts reading --json get the usual keys, all empty.
        let json = try run(Binaries.av1d, ["status", "--config", config, "--json"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        #expect((object["running"] as? [Any])?.isEmpty == true && object["queued"] as? Int == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state"), "readers never create the job store")
    }

    @Test("a job_state_dir that cannot be read is one line naming it, not an empty store")
    func unreadableStore() throws {
        let folder = try TemporaryFolder()
        try "not a folder".write(toFile: folder.path + "/jobs", atomically: true, encoding: .utf8)
        let config = try writeConfig(in: folder.path, socket: folder.path + "/absent.sock")
        for command in ["status", "scan"] {
            let result = try run(Binaries.av1d, [command, "--config", config])
            #expect(result.status == 1)
            #expect(result.output == "error: read the job store \(folder.path)/jobs: Not a directory\n", "\(command): \(result.output)")
        }
    }

    @Test("--json from the job store writes dates as RFC 3339, as the job records do")
    func offlineDates() throws {
        let folder = try TemporaryFolder()
        let config = try writeConfig(in: folder.path, socket: folder.path + "/absent.sock")
        let store = try JobStore(directory: folder.path + "/jobs")
        var job = JobRecord(sourcePath: "/media/film.mkv", originalBytes: 1 << 30, sourceMtime: 0, attempt: 1)
        job.status = .running
        job.startedAt = Date(timeIntervalSince1970: 1_800_000_000)
        try store.save(job)
        let result = try run(Binaries.av1d, ["status", "--config", config, "--json"])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let running = try #require((json["running"] as? [[String: Any]])?.first)
        #expect(rfc3339(running["started_at"]) == job.startedAt, "started_at: \(running["started_at"] ?? "absent")")
    }

    private func rfc3339(_ value: Any?) -> Date? {
        (value as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
    }

    private func writeConfig(in folder: String, socket: String, jobs: String? = nil, library: String? = nil) throws -> String {
        let path = folder + "/config.toml"
        var text = "job_state_dir = \"\(jobs ?? folder + "/jobs")\"\ncontrol_socket = \"\(socket)\"\n"
        // An empty library, so scan has nothing to probe (the default /media may hold anything).
        text += "library_roots = [\"\(library ?? folder + "/library")\"]\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
