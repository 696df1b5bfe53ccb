@_exported import TestSupport
import AV1Daemon
import Foundation
import LinuxSupport
import Testing

/// A real daemon process (`av1d run`) on a temporary library, with helpers to wait for states.
final class DaemonHarness {
    static let binary = Binaries.av1d
    static let fixtures = Fixtures.generated

    let root: String
    var library: String { root + "/library" }
    var jobs: String { root + "/state/jobs" }
    var temp: String { root + "/state/temp" }
    var configPath: String { root + "/config.toml" }
    private(set) var process: Process?
    private let logPath: String

    /// - Parameter settings: config keys (TOML literals) that replace or join the test defaults.
    init(_ settings: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-daemon-\(UUID().uuidString)").path
        logPath = root + "/daemon.log"
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        let defaults = [
            "library_roots": "[\"\(library)\"]", "min_bytes": "10000", "scan_interval_secs": "1",
            "job_state_dir": "\"\(jobs)\"", "temp_output_dir": "\"\(temp)\"", "stable_secs": "0",
            "svt_preset": "12", "crf": "50", "max_size_ratio": "1.0",
        ]
        try defaults.merging(settings) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
            .joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Copies a fixture into the library (under `name`, default its own name).
    @discardableResult
    func add(_ fixture: String, as name: String? = nil) throws -> String {
        let path = library + "/" + (name ?? fixture)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/" + fixture, toPath: path)
        // Settled files: the stability window is tested on its own.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-600)], ofItemAtPath: path)
        return path
    }

    /// - Parameter arguments: more options for `av1d run` (`--sysfs-root DIR`).
    /// - Parameter umask: the daemon's file-creation mask, as a unit's `UMask=` sets it (e.g. "0007").
    func start(environment: [String: String] = [:], fileSizeLimit: Int? = nil, umask: String? = nil, arguments: [String] = []) throws {
        let process = Process()
        if fileSizeLimit != nil || umask != nil {
            // RLIMIT_FSIZE for the daemon and its workers: the disk-full case without a real full disk.
            let limit = fileSizeLimit.map { "ulimit -f \($0 / 512); " } ?? ""
            let mask = umask.map { "umask \($0); " } ?? ""
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "\(limit)\(mask)exec \"$0\" \"$@\"", Self.binary, "--config", configPath]
                + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["--config", configPath] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
    }

    /// SIGTERM, then the seconds it took to exit and its status.
    func stop() throws -> (seconds: Double, status: Int32) {
        let process = try #require(process)
        let start = Date()
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return (Date().timeIntervalSince(start), process.terminationStatus)
    }

    /// SIGKILL the daemon: a power cut, as far as the daemon can tell.
    func crash() throws {
        let process = try #require(process)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var records: [JobRecord] {
        let decoder = JSONDecoder.av1d
        let names = (try? FileManager.default.contentsOfDirectory(atPath: jobs)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap {
            FileManager.default.contents(atPath: jobs + "/" + $0).flatMap { try? decoder.decode(JobRecord.self, from: $0) }
        }
    }

    func records(for name: String) -> [JobRecord] {
        records.filter { $0.sourcePath == library + "/" + name }.sorted { $0.createdAt < $1.createdAt }
    }

    /// Polls until `condition` holds; false after `timeout` seconds or when the daemon died.
    func wait(timeout: Double = 60, poll: Double = 0.05, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if let process, !process.isRunning { return condition() }
            usleep(UInt32(poll * 1_000_000))
        }
        return condition()
    }

    func files(in folder: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder ?? library)) ?? []).sorted()
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Independent reads of a media file with ffprobe / ffmpeg (libdav1d).
enum Media {
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return (-1, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// True when every frame of the first video stream decodes cleanly with libdav1d.
    static func decodesCleanly(_ path: String) -> Bool {
        let result = run(["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-c:v:0", "libdav1d", "-i", path, "-map", "0:v:0", "-f", "null", "-"])
        return result.status == 0 && result.output.isEmpty
    }

    static func videoCodec(_ path: String) -> String {
        run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func sha(_ path: String) -> String {
        run(["sha256sum", path]).output.split(separator: " ").first.map(String.init) ?? ""
    }
}

extension DaemonHarness {
    /// `av1d status --json` as a user runs it: the daemon's live report.
    func statusJSON() -> [String: Any] {
        let result = Media.run([Self.binary, "status", "--config", configPath, "--json"])
        let start = result.output.firstIndex(of: "{") ?? result.output.endIndex
        let object = try? JSONSerialization.jsonObject(with: Data(result.output[start...].utf8))
        return object as? [String: Any] ?? [:]
    }

    /// The admission pause `av1d status --json` shows: (reason, message), nil when jobs may start.
    var admissionPause: (reason: String, message: String)? {
        guard let pause = statusJSON()["admission_pause"] as? [String: Any],
              let reason = pause["reason"] as? String, let message = pause["message"] as? String else { return nil }
        return (reason, message)
    }

    /// The worker pid of `name`'s job once it has encoded more than `frames` frames; nil on time-out.
    func worker(encoding name: String, past frames: Int = 10, timeout: Double = 120) -> Int32? {
        var pid: Int32?
        _ = wait(timeout: timeout) {
            guard let job = records(for: name).last, (job.framesEncoded ?? 0) > frames else { return false }
            pid = job.workerPid
            return pid != nil
        }
        return pid
    }

    /// Skip markers anywhere in the library.
    var markers: [String] {
        let walker = FileManager.default.enumerator(atPath: library)
        return (walker?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".av1skip") }
    }

    /// Rewrites one config key (a TOML literal) and sends SIGHUP.
    func reload(_ key: String, _ value: String) throws {
        let lines = try String(contentsOfFile: configPath, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("\(key) =") }
        try (lines + ["\(key) = \(value)"]).joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        kill(try #require(process).processIdentifier, SIGHUP)
    }
}
