@testable import AV1Daemon
import Foundation
import Testing

/// The storage gate's episodes: closed by a failing folder or a reported fault, open again only
/// when every folder passes and a full one has the room the failed encode needed.
@Suite("Storage gate")
struct StorageGateTests {
    private let folder: StorageGate.Folder

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        folder = StorageGate.Folder(key: "temp_output_dir", path: path)
    }

    @Test("a missing folder closes the gate once; it opens when the folder is back")
    func missingFolder() throws {
        var gate = StorageGate()
        #expect(gate.update([folder]) == nil)
        try FileManager.default.removeItem(atPath: folder.path)
        guard case .paused(let fault) = gate.update([folder]) else { Issue.record("not paused"); return }
        #expect(fault.problem.contains("No such file or directory"))
        #expect(gate.update([folder]) == nil, "one change per episode")
        #expect(gate.reason?.hasPrefix("temp_output_dir \(folder.path) cannot take files") == true)
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(gate.update([folder]) == .resumed)
        #expect(!gate.isClosed)
    }

    @Test("a full folder stays closed until it has the room the failed encode needed")
    func fullFolder() {
        var gate = StorageGate()
        guard case .paused = gate.report(folder, problem: "No space left on device", neededBytes: 5_000_000) else {
            Issue.record("not paused")
            return
        }
        #expect(gate.reason?.contains("waiting for 5.0 MB free") == true, "\(gate.reason ?? "")")
        #expect(gate.update([folder], freeBytes: { _ in 1_000_000 }) == nil)
        #expect(gate.isClosed)
        #expect(gate.update([folder], freeBytes: { _ in 6_000_000 }) == .resumed)
        #expect(gate.reason == nil)
    }

    @Test("a job record write failure reported while closed does not start a second episode")
    func repeatedReports() {
        var gate = StorageGate()
        #expect(gate.report(folder, problem: "write: No space left on device") != nil)
        #expect(gate.report(folder, problem: "write: No space left on device") == nil)
    }
}
