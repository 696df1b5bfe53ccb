import Foundation
import Testing

/// The unit grants the daemon CAP_CHOWN as an ambient capability; the workers that decode
/// untrusted files must not hold it.
@Suite("Worker capabilities")
struct WorkerCapabilityTests {
    /// `setpriv` as the unit does it: user nobody, CAP_CHOWN inheritable and ambient.
    static let asServiceUser = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "--inh-caps=+chown", "--ambient-caps=+chown"]

    @Test("a worker run as a service user with ambient CAP_CHOWN gives up every capability",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "grants an ambient capability to another user"))
    func workerDropsCapabilities() throws {
        // A folder nobody may enter, holding a copy of the binary (the build folder may not be).
        let folder = "/tmp/av1d-caps-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Binaries.av1d, toPath: folder + "/av1d")

        // The control: a program started the same way does hold CAP_CHOWN (bit 0), ambient and effective.
        let control = try Run(Self.asServiceUser[0], Array(Self.asServiceUser.dropFirst()) + ["/bin/cat", "/proc/self/status"])
        #expect(control.status == 0, "\(control.stderr)")
        #expect(Self.capabilities(in: control.stdout)["CapAmb"] == 1 && Self.capabilities(in: control.stdout)["CapEff"] == 1,
                "setpriv did not grant CAP_CHOWN: \(control.stdout)")

        // The worker waits for its request on stdin; meanwhile every thread of it is inspected.
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: Self.asServiceUser[0])
        worker.arguments = Array(Self.asServiceUser.dropFirst()) + [folder + "/av1d", "worker"]
        let request = Pipe()
        worker.standardInput = request
        worker.standardOutput = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) }; worker.waitUntilExit() }

        var threads: [[String: UInt64]] = []
        let deadline = Date().addingTimeInterval(30)
        repeat {
            usleep(50_000)
            threads = Self.threadCapabilities(of: worker.processIdentifier)
        } while Date() < deadline && !(Self.isExec(of: worker.processIdentifier, folder + "/av1d")
                                        && !threads.isEmpty && threads.allSatisfy { $0.values.allSatisfy { $0 == 0 } })
        #expect(Self.isExec(of: worker.processIdentifier, folder + "/av1d"), "the worker never started")
        #expect(!threads.isEmpty)
        for thread in threads {
            #expect(thread["CapEff"] == 0 && thread["CapPrm"] == 0 && thread["CapInh"] == 0 && thread["CapAmb"] == 0,
                    "a worker thread still holds capabilities: \(thread)")
        }
        request.fileHandleForWriting.closeFile()
    }

    /// The Cap* lines of a /proc status file, as numbers.
    static func capabilities(in status: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16) else { continue }
            result[String(parts[0])] = value
        }
        return result.filter { ["CapEff", "CapPrm", "CapInh", "CapAmb"].contains($0.key) }
    }

    static func threadCapabilities(of pid: Int32) -> [[String: UInt64]] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/status", encoding: .utf8) }
            .map(capabilities(in:))
    }

    /// True once setpriv has exec'd the worker (before, the pid is setpriv itself).
    static func isExec(of pid: Int32, _ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == path
    }
}
