import Foundation
import NativeEncode
import Testing
import LinuxSupport

/// The `av1d` binary built beside the test bundle.
enum AV1DBinary {
    static var path: String {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return bundle.appendingPathComponent("av1d").path
    }
}

@Suite("av1d encode on the command line")
struct CommandLineTests {
    @Test("exit 0 with one summary; default output beside the input; JSON progress lines")
    func encodes() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mkv")
        try FileManager.default.copyItem(atPath: Fixtures.path("multitrack.mkv"), toPath: input)
        let run = try Run(AV1DBinary.path, ["encode", input, "--preset", "12", "--crf", "40", "--progress", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.path("clip.av1.mkv")))
        let lines = run.stdout.split(separator: "\n")
        let progress = lines.filter { $0.hasPrefix("{") }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(!progress.isEmpty)
        let frames = progress.compactMap { $0["frames"] as? Int }
        #expect(frames == frames.sorted(), "progress only moves forward")
        #expect(frames.last == 50)
        // Matroska stores no frame count: the total is estimated from duration x frame rate.
        #expect(progress.allSatisfy { abs(($0["total_frames"] as? Int ?? 0) - 50) <= 2 })
        #expect(run.stdout.contains("frames 50 (decoded 50)"))
        #expect(run.stdout.contains("peak memory"))
    }

    @Test("--predict prints the samples' prediction and writes nothing else")
    func predicts() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mp4")
        try FileManager.default.copyItem(atPath: Fixtures.path("bbb720.mp4"), toPath: input)
        let run = try Run(AV1DBinary.path, ["encode", input, "--predict", "--preset", "12", "--crf", "50"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("x of the original: ") && run.stdout.contains("from 2 samples (1.4s)"), "\(run.stdout)")
        #expect(run.stdout.contains("SSIM-Y 0.") && run.stdout.contains("CPU s"), "\(run.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["clip.mp4"])
        let short = try Run(AV1DBinary.path, ["encode", Fixtures.path("multitrack.mkv"), "--predict", "-o", scratch.path("m.mkv")])
        #expect(short.status == 0 && short.stdout.contains("too short to predict (under 3.0s)"), "\(short.stdout)")
    }

    @Test("exit 3 with one line naming the file when there is nothing to do", arguments: ["av1.mkv", "audio-only.m4a"])
    func nothingToDo(name: String) throws {
        let scratch = try Scratch()
        let run = try Run(AV1DBinary.path, ["encode", Fixtures.path(name), "-o", scratch.path("out.mkv")])
        #expect(run.status == 3)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains(name) && run.stderr.contains("nothing to do"))
        #expect(scratch.contents.isEmpty)
    }

    @Test("exit 1 with one line naming the file and the library's reason", arguments: ["garbage.mkv", "empty.mp4"])
    func fails(name: String) throws {
        let scratch = try Scratch()
        let run = try Run(AV1DBinary.path, ["encode", Fixtures.path(name), "-o", scratch.path("out.mkv")])
        #expect(run.status == 1)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(name) && run.stderr.contains("Invalid data"))
        #expect(scratch.contents.isEmpty)
    }

    @Test("usage errors keep ArgumentParser's exit code")
    func usage() throws {
        let run = try Run(AV1DBinary.path, ["encode", Fixtures.path("tiny.mkv"), "--bit-depth", "12"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--bit-depth"))
    }

    @Test("--verbose shows SVT-AV1's own configuration lines")
    func verbose() throws {
        let scratch = try Scratch()
        let run = try Run(AV1DBinary.path, ["encode", Fixtures.path("hdr10.mkv"), "-o", scratch.path("out.mkv"),
                                            "--preset", "12", "--crf", "33", "-v"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("Svt[info]"))
        #expect(run.stderr.contains("CRF / 33"), "SVT confirms the rate control we asked for")
    }

    @Test("--cpus confines every thread of the job, encoder threads included")
    func cpuConfinement() throws {
        let allowed = CPUAffinity.current()
        let target = try #require(allowed.cpus.last)
        let scratch = try Scratch()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AV1DBinary.path)
        process.arguments = ["encode", Fixtures.path("bbb720.mp4"), "-o", scratch.path("out.mkv"), "--preset", "10",
                             "--cpus", "\(target)", "--progress", "none"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var maxThreads = 0
        var outside: [String] = []
        while process.isRunning {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")) ?? []
            maxThreads = max(maxThreads, tasks.count)
            // Before the encode starts the process is still parsing its arguments; once the
            // decode thread exists, every thread must be inside the set.
            for task in tasks where tasks.count >= 4 {
                guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/task/\(task)/status", encoding: .utf8),
                      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { continue }
                let list = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
                if list != "\(target)" { outside.append("\(task): \(list)") }
            }
            usleep(50_000)
        }
        #expect(process.terminationStatus == 0)
        #expect(maxThreads > 10, "the encoder's threads were seen (\(maxThreads))")
        #expect(outside.isEmpty, "threads outside CPU \(target): \(Set(outside).prefix(5))")
    }
}
