import Foundation
import NativeEncode
import Testing

@Suite("Bad input and refusals")
struct FailureTests {
    @Test("unreadable inputs fail with the library's reason and leave nothing behind", arguments: [
        "empty.mp4", "garbage.mkv", "text.mp4", "truncated.mp4",
    ])
    func unreadable(name: String) throws {
        let scratch = try Scratch()
        let before = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name)))
        #expect {
            _ = try encodeFixture(name, in: scratch)
        } throws: { error in
            guard case .unreadableInput(let reason) = error as? EncodeError else { return false }
            return !reason.isEmpty
        }
        #expect(scratch.contents.isEmpty, "no output and no temporary file")
        #expect(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))) == before)
    }

    @Test("a truncated Matroska download is not encoded: its header declares more than it holds")
    func truncatedMatroska() throws {
        let scratch = try Scratch()
        #expect {
            _ = try encodeFixture("truncated.mkv", in: scratch)
        } throws: { error in
            guard case .incompleteSource(.truncated(let decodable, let declared)) = error as? EncodeError else { return false }
            return decodable < 1.1 && abs(declared - 2.032) < 0.001
        }
        #expect(scratch.contents.isEmpty)
    }

    @Test("nothing to do: already AV1, or no video stream", arguments: [
        ("av1.mkv", EncodeError.NothingToDo.alreadyAV1), ("audio-only.m4a", .noVideoStream),
    ])
    func nothingToDo(name: String, reason: EncodeError.NothingToDo) throws {
        let scratch = try Scratch()
        #expect {
            _ = try encodeFixture(name, in: scratch)
        } throws: { error in
            guard case .nothingToDo(let got) = error as? EncodeError else { return false }
            return got == reason
        }
        #expect(scratch.contents.isEmpty)
    }

    @Test("never overwrites the input, nor an existing output unless asked")
    func overwriteRules() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mkv")
        try FileManager.default.copyItem(atPath: Fixtures.path("tiny.mkv"), toPath: input)
        let original = try Data(contentsOf: URL(fileURLWithPath: input))
        let transcoder = Transcoder(settings: fastSettings())
        #expect(throws: EncodeError.self) { _ = try transcoder.encode(input: input, output: input, overwrite: true) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == original)

        let output = scratch.path("out.mkv")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output))
        #expect(throws: EncodeError.self) { _ = try transcoder.encode(input: input, output: output) }
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "keep me")
        _ = try transcoder.encode(input: input, output: output, overwrite: true)
        #expect(try Probe.streams(output).first?.codecName == "av1")
        #expect(Set(scratch.contents) == ["clip.mkv", "out.mkv"], "no temporary file left")
    }

    @Test("a stop request ends the encode and removes the partial output")
    func cancellation() throws {
        let scratch = try Scratch()
        let stop = StopFlag()
        let output = scratch.path("bbb.mkv")
        #expect {
            _ = try Transcoder(settings: fastSettings()).encode(
                input: Fixtures.path("bbb720.mp4"), output: output,
                observer: { progress in if progress.framesEncoded >= 5 { stop.raise() } }, stop: stop)
        } throws: { error in
            if case .cancelled = error as? EncodeError { return true }
            return false
        }
        #expect(scratch.contents.isEmpty)
    }
    @Test("a stop request reaches inside libavformat: a source that trickles in (a stalled NAS) is not read to its end")
    func stopReachesAStalledRead() throws {
        let scratch = try Scratch()
        let path = scratch.path("stalled.ts")
        #expect(mkfifo(path, 0o600) == 0)
        signal(SIGPIPE, SIG_IGN)
        let source = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("broadcast.ts")))
        let trickle = Trickle(source, into: path)
        let stop = StopFlag()
        // Raised while libavformat is still probing the trickle: it reads about 49 KB of this file
        // before it knows the streams, and without the interrupt callback it would only stop then.
        Thread.detachNewThread {
            while trickle.written < 8 * 188 { usleep(1000) }
            stop.raise()
        }
        #expect {
            _ = try Transcoder(settings: fastSettings()).encode(input: path, output: scratch.path("out.mkv"), stop: stop)
        } throws: { error in
            if case .cancelled = error as? EncodeError { return true }
            return false
        }
        let writtenWhenStopped = trickle.written
        trickle.wait()
        #expect(writtenWhenStopped < 16 * 1024, "gave up after \(writtenWhenStopped) bytes, inside the probing")
    }
}

/// Writes data into a FIFO one TS packet every 50 ms, until done or the reader goes away.
final class Trickle: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private let done = DispatchSemaphore(value: 0)

    init(_ data: Data, into path: String) {
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var offset = 0
            while offset < data.count {
                let chunk = data[offset..<min(offset + 188, data.count)]
                let wrote = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if wrote <= 0 { return }
                offset += wrote
                lock.withLock { count = offset }
                usleep(50_000)
            }
        }
    }

    var written: Int { lock.withLock { count } }

    func wait() { done.wait() }
}
