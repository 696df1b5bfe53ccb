import AV1Daemon
import Foundation
import Testing
import WorkerProtocol

/// The library walk runs off the supervisor's queue and `status` is served from the snapshot the
/// supervisor publishes, so the control socket answers while a big library is being walked.
@Suite("Responsive daemon", .serialized)
struct ResponsivenessTests {
    @Test("status answers while a 100,000-file library is being walked")
    func statusDuringBigScan() throws {
        let daemon = try DaemonHarness()
        let many = daemon.library + "/many"
        // A tmpfs where one can be mounted: 100,000 files on the test machine's overlay take half a minute.
        let mount = SmallMount.isAvailable ? try SmallMount(at: many, bytes: 256_000_000) : nil
        defer { mount?.unmount() }
        for folder in 0..<100 {
            let path = "\(many)/\(folder)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in 0..<1000 { _ = FileManager.default.createFile(atPath: "\(path)/clip\(file).mkv", contents: nil) }
        }
        try daemon.start()
        let client = ControlClient(path: daemon.root + "/state/av1d.sock", timeout: 30)
        var duringWalk: [Double] = []
        var answers = 0
        let deadline = Date().addingTimeInterval(120)
        while duringWalk.count < 20 && Date() < deadline {
            let start = DispatchTime.now()
            guard let snapshot = try? client.send(ControlRequest(command: .status)).snapshot else {
                usleep(50_000)
                continue
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            answers += 1
            if snapshot.scanning == true { duringWalk.append(seconds) }
            usleep(10_000)
        }
        _ = try daemon.stop()
        let sorted = duringWalk.sorted()
        print("status round trips during the walk: \(sorted.count) of \(answers) answers; median \(sorted.isEmpty ? 0 : sorted[sorted.count / 2] * 1000) ms, max \((sorted.last ?? 0) * 1000) ms")
        #expect(duringWalk.count >= 20, "answers while the walk was under way: \(duringWalk.count) of \(answers)\n\(daemon.log)")
    }
}
