@testable import AV1Daemon
import Foundation
import Testing
import LinuxSupport
import WorkerProtocol

@Suite("Control socket")
struct ControlSocketTests {
    @Test("status answers the daemon's snapshot")
    func status() throws {
        let served = try ServedDaemon()
        let response = try ControlClient(path: served.socketPath).send(ControlRequest(command: .status))
        #expect(response.ok)
        let snapshot = try #require(response.snapshot)
        #expect(snapshot.running.map(\.sourcePath) == [FakeDaemon.runningPath])
        #expect(snapshot.queued == 2)
        #expect(snapshot.totals.success == 12)
    }

    @Test("the socket file is 0660, in the daemon's group, and removed on stop")
    func socketFile() throws {
        let served = try ServedDaemon()
        let attributes = try FileManager.default.attributesOfItem(atPath: served.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        #expect((attributes[.groupOwnerAccountID] as? Int) == Int(getegid()))
        served.server.stop()
        #expect(!FileManager.default.fileExists(atPath: served.socketPath))
        #expect(throws: ControlClientError.self) { try ControlClient(path: served.socketPath).send(ControlRequest(command: .status)) }
    }

    @Test("pause, resume, cancel and retry reach the daemon; several requests share one connection")
    func commands() throws {
        let served = try ServedDaemon()
        let connection = try ControlClient(path: served.socketPath).connect()
        #expect(try connection.send(ControlRequest(command: .pause)).message == "paused")
        #expect(served.daemon.paused)
        #expect(try connection.send(ControlRequest(command: .status)).snapshot?.paused == true)
        #expect(try connection.send(ControlRequest(command: .resume)).ok)
        #expect(!served.daemon.paused)
        #expect(try connection.send(ControlRequest(command: .cancel, job: FakeDaemon.jobID)).ok)
        #expect(try connection.send(ControlRequest(command: .retry, path: FakeDaemon.failedPath)).ok)
        #expect(try connection.send(ControlRequest(command: .rescan)).ok)
        #expect(served.daemon.requests.map(\.command) == [.pause, .resume, .cancel, .retry, .rescan])
    }

    @Test("cancelling an unknown job is an error")
    func cancelUnknownJob() throws {
        let served = try ServedDaemon()
        let response = try ControlClient(path: served.socketPath).send(ControlRequest(command: .cancel, job: "no-such-job"))
        #expect(!response.ok)
        #expect(response.error == "no running job no-such-job")
    }

    @Test("malformed requests get an error response and the connection stays usable",
          arguments: [
              ("this is not json", "not a JSON object"),
              (#"["status"]"#, "not a JSON object"),
              (#"{"command":"explode"}"#, "\"command\" must be one of status, pause, resume, cancel, retry, rescan"),
              (#"{"job":"x"}"#, "\"command\" must be one of"),
              (#"{"command":"cancel"}"#, "cancel needs \"job\""),
              (#"{"command":"retry","path":7}"#, "\"path\" must be a string"),
          ])
    func malformed(line: String, expected: String) throws {
        let served = try ServedDaemon()
        let connection = try ControlClient(path: served.socketPath).connect()
        let answer = try connection.exchange(line)
        let response = try JSONDecoder.av1d.decode(ControlResponse.self, from: Data(answer.utf8))
        #expect(!response.ok)
        #expect(response.error?.contains(expected) == true, "\(answer)")
        #expect(answer.hasPrefix(#"{"error":"#), "one JSON object per line")
        #expect(try connection.send(ControlRequest(command: .status)).ok)
        #expect(served.daemon.requests.isEmpty, "nothing malformed reaches the daemon")
    }

    @Test("a client that never reads, or never speaks, holds up nobody")
    func stalledClients() throws {
        let served = try ServedDaemon()
        let address = try SocketAddress(unixPath: served.socketPath)
        let silent = try Socket.connected(to: address, timeout: 1)
        let greedy = try Socket.connected(to: address, timeout: 0.2)
        // Requests until the socket buffers are full: the server is then stuck sending to it.
        let request = Array(#"{"command":"status"}"#.utf8) + [UInt8(ascii: "\n")]
        var sent = 0
        while sent < 100_000, (try? greedy.send(request)) != nil { sent += 1 }
        #expect(sent < 100_000, "the buffers filled up")
        let start = Date()
        for _ in 0..<5 { #expect(try ControlClient(path: served.socketPath).send(ControlRequest(command: .status)).ok) }
        // Well under the server's 5 s send timeout, which a blocked server would have to wait out.
        #expect(Date().timeIntervalSince(start) < 3)
        withExtendedLifetime((silent, greedy)) {}
    }

    @Test("a stale socket file is replaced; a live one is not taken over")
    func staleSocket() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/av1d.sock"
        // A socket file whose owner died: bound, then closed without unlinking.
        _ = try Socket.listening(on: SocketAddress(unixPath: path))
        #expect(FileManager.default.fileExists(atPath: path))
        let first = ControlServer(path: path, control: FakeDaemon(), log: DaemonLog { _ in })
        try first.start()
        defer { first.stop() }
        let second = ControlServer(path: path, control: FakeDaemon(), log: DaemonLog { _ in })
        #expect(throws: EndpointError.self) { try second.start() }
        #expect(try ControlClient(path: path).send(ControlRequest(command: .status)).ok)
    }

    @Test("a user outside the daemon's group cannot connect through the 0660 file", .enabled(if: geteuid() == 0, "runs a client as nobody"))
    func refusedByFileMode() throws {
        let served = try ServedDaemon()
        let answer = try Nobody.ask(served.socketPath)
        #expect(answer == "connect failed: errno \(EACCES)")
        #expect(served.daemon.requests.isEmpty)
    }

    @Test("a user outside the daemon's group is refused by its credentials even if the file is opened up",
          .enabled(if: geteuid() == 0, "runs a client as nobody"))
    func refusedByCredentials() throws {
        let served = try ServedDaemon()
        // As if an admin loosened the mode: the peer check must still hold.
        #expect(chmod(served.socketPath, 0o666) == 0)
        let answer = try Nobody.ask(served.socketPath)
        let response = try JSONDecoder.av1d.decode(ControlResponse.self, from: Data(answer.utf8))
        #expect(!response.ok)
        #expect(response.error?.hasPrefix("permission denied") == true)
        #expect(served.daemon.requests.isEmpty)
        #expect(served.log.all.contains { $0.contains("refused a client running as uid 65534") })
    }

    @Test("root, the daemon's user and its group are admitted; others are not")
    func peerPolicy() {
        let policy = PeerPolicy(uid: 998, gid: 997)
        #expect(policy.admits(PeerCredentials(uid: 0, gid: 0, groups: [])))
        #expect(policy.admits(PeerCredentials(uid: 998, gid: 100, groups: [])))
        #expect(policy.admits(PeerCredentials(uid: 1000, gid: 997, groups: [])))
        #expect(policy.admits(PeerCredentials(uid: 1000, gid: 1000, groups: [27, 997])))
        #expect(!policy.admits(PeerCredentials(uid: 1000, gid: 1000, groups: [27])))
    }

    @Test("the socket defaults to av1d.sock beside job_state_dir")
    func defaultPath() throws {
        #expect(DaemonConfig().controlSocketPath == "/var/lib/av1d/av1d.sock")
        #expect(try DaemonConfig.parse(#"job_state_dir = "/srv/av1d/state/jobs/""#).controlSocketPath == "/srv/av1d/state/av1d.sock")
        #expect(try DaemonConfig.parse(#"control_socket = "/run/av1d/control.sock""#).controlSocketPath == "/run/av1d/control.sock")
    }
}

/// A client running as `nobody` (uid and gid 65534, no supplementary groups): a Python one-liner
/// under setpriv, since the tests run as root.
enum Nobody {
    private static let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(sys.argv[1])
        except OSError as e:
            print("connect failed: errno %d" % e.errno)
            sys.exit(0)
        try:
            s.sendall(b'{"command":"status"}\\n')
        except OSError:
            pass  # refused: the server hung up, its answer is still there to read
        data = b""
        while not data.endswith(b"\\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        print(data.decode().strip())
        """

    /// The answer line to a status request, or how the connect failed.
    static func ask(_ socketPath: String) throws -> String {
        let result = try run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, socketPath])
        #expect(result.status == 0, "\(result.output)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
