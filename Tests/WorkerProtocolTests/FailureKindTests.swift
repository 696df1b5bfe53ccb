import Foundation
import LinuxSupport
import NativeEncode
import Testing
import WorkerProtocol

/// Whose fault a failed encode is, as the worker reports it to the daemon.
@Suite("Failure kind")
struct FailureKindTests {
    private let folder = FileManager.default.temporaryDirectory.path

    @Test("a full disk, a quota or a read-only file system is the environment's fault, from FFmpeg or a system call")
    func noSpace() {
        #expect(FailureKind.of(EncodeError.library(AVFailure(code: -ENOSPC, operation: "writing a packet")), outputFolder: folder) == .environment)
        #expect(FailureKind.of(EncodeError.system(SystemError("fsync", path: "/x", code: EDQUOT)), outputFolder: folder) == .environment)
        #expect(FailureKind.of(SystemError("create", path: "/x", code: EROFS), outputFolder: folder) == .environment)
    }

    @Test("a read error, bad data or an encoder refusal is the file's fault while the output folder is usable")
    func fileFaults() {
        #expect(FailureKind.of(EncodeError.library(AVFailure(code: -EIO, operation: "reading a packet")), outputFolder: folder) == .file)
        #expect(FailureKind.of(EncodeError.unreadableInput("Invalid data found when processing input"), outputFolder: folder) == .file)
        #expect(FailureKind.of(EncodeError.encoder("refused"), outputFolder: folder) == .file)
    }

    @Test("any failure while the output folder is missing is the environment's fault")
    func missingFolder() {
        let missing = folder + "/av1d-missing-\(UUID().uuidString)"
        #expect(FailureKind.of(EncodeError.output("rename failed"), outputFolder: missing) == .environment)
        #expect(FolderCheck.problem(with: missing)?.code == ENOENT)
        #expect(FolderCheck.problem(with: folder) == nil)
    }

    @Test("the kind crosses the pipe; a message without it (an older worker) reads as nil")
    func roundTrip() throws {
        let line = WorkerMessage(event: .failed, reason: "disk full", failure: .environment).line()
        #expect(String(decoding: line, as: UTF8.self).contains(#""failure":"environment""#))
        #expect(WorkerMessage.parse(line)?.failure == .environment)
        #expect(WorkerMessage.parse(Data(#"{"event":"failed","reason":"x"}"#.utf8))?.failure == nil)
    }
}
