import Foundation
import NativeEncode
import Testing
import LinuxSupport


@Suite("av1d encode on the command line")
struct CommandLineTests {
    @Test("exit 0 with one summary; default output beside the input; JSON progress lines")
    func encodes() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mkv")
        try FileManager.default.copyItem(atPath: Fixtures.path("multitrack.mkv"), toPath: input)
        let run = try Run(Binaries.av1d, ["encode", input, "--preset", "12", "--crf", "40", "--progress", "json"])
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
        let size = try #require(FileManager.default.attributesOfItem(atPath: scratch.path("clip.av1.mkv"))[.size] as? NSNumber)
        #expect(progress.last?["output_bytes"] as? Int == size.intValue, "the last line has the file's size")
        // Matroska stores no frame count: the total is estimated from duration x frame rate.
        #expect(progress.allSatisfy { abs(($0["total_frames"] as? Int ?? 0) - 50) <= 2 })
        #expect(run.stdout.contains("frames 50 (decoded 50)"))
        #expect(run.stdout.contains("peak memory"))
    }

    /// What the daemon's size gate (default max_size_ratio 0.90) would do with the output, for a
    /// small clip whose copied 5.1 AAC track is most of its bytes: a low CRF makes the video
    /// grow past the input, a middle one leaves it smaller but not by 10%, a high one saves.
    enum Outcome: String, CaseIterable { case larger, aboveRatio, replaced }

    @Test("the summary says in one line what the daemon would do with the output", arguments: Outcome.allCases)
    func daemonDecision(outcome: Outcome) throws {
        let scratch = try Scratch()
        let input = Fixtures.path("rotate90.mp4"), output = scratch.path("out.mkv")
        let crf = switch outcome { case .larger: "10"; case .aboveRatio: "33"; case .replaced: "45" }
        let run = try Run(Binaries.av1d, ["encode", input, "-o", output, "--preset", "12", "--crf", crf, "--progress", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        // The ratio as the files on disk have it, not as av1d says it.
        let ratio = Double(try fileSize(output)) / Double(try fileSize(input))
        let decision = run.stdout.split(separator: "\n").filter { $0.contains("the daemon would") }
        #expect(decision.count == 1, "one line: \(run.stdout)")
        let line = String(decision.first ?? "")
        switch outcome {
        case .larger:
            try #require(ratio > 1, "CRF \(crf) no longer makes this clip larger (\(ratio)): choose another")
            #expect(line == String(format: "  larger than the input (%.3fx): the daemon would keep the original (max_size_ratio 0.90)", ratio))
        case .aboveRatio:
            try #require(ratio >= 0.9 && ratio <= 1, "CRF \(crf) no longer lands between 0.9 and 1 (\(ratio)): choose another")
            #expect(line == String(format: "  above max_size_ratio 0.90 (%.3f of the original): the daemon would keep the original", ratio))
        case .replaced:
            try #require(ratio < 0.9, "CRF \(crf) no longer saves 10% on this clip (\(ratio)): choose another")
            #expect(line == String(format: "  the daemon would replace the original: %.3f of its size, below max_size_ratio 0.90", ratio))
        }
    }

    @Test("the progress bar labels the output's size so far")
    func progressBar() throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("rotate90.mp4"), "-o", scratch.path("out.mkv"),
                                            "--preset", "12", "--crf", "40", "--progress", "bar"])
        #expect(run.status == 0, "\(run.stderr)")
        let updates = run.stderr.split(separator: "\r").filter { $0.hasPrefix("[") }
        #expect(!updates.isEmpty, "\(run.stderr)")
        let labelled = #/\] +[0-9.]+% \d+/\d+ frames [0-9.]+ fps out \d+(\.\d)? (B|KiB|MiB) ETA /#
        #expect(updates.allSatisfy { $0.contains(labelled) }, "\(updates.prefix(3))")
        #expect(updates.contains { $0.contains(#/out [1-9][0-9.]* (B|KiB|MiB)/#) }, "the figure grows once packets are written")
    }

    private func fileSize(_ path: String) throws -> Int64 {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber).int64Value
    }

    @Test("--predict prints the samples' prediction and writes nothing else")
    func predicts() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mp4")
        try FileManager.default.copyItem(atPath: Fixtures.path("views-lean.mp4"), toPath: input)
        let run = try Run(Binaries.av1d, ["encode", input, "--predict", "--preset", "12", "--crf", "50"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("x of the original: ") && run.stdout.contains("from 2 samples (2.6s)"), "\(run.stdout)")
        #expect(run.stdout.contains("SSIM-Y 0.") && run.stdout.contains("CPU s"), "\(run.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["clip.mp4"])
        let short = try Run(Binaries.av1d, ["encode", Fixtures.path("bbb720.mp4"), "--predict", "-o", scratch.path("m.mkv")])
        #expect(short.status == 0 && short.stdout.contains("too short to predict (2 samples would cover over 8% of it)"),
                "\(short.stdout)")
    }

    @Test("exit 3 with one line naming the file when there is nothing to do", arguments: ["av1.mkv", "audio-only.m4a"])
    func nothingToDo(name: String) throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path(name), "-o", scratch.path("out.mkv")])
        #expect(run.status == 3)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains(name) && run.stderr.contains("nothing to do"))
        #expect(scratch.contents.isEmpty)
    }

    @Test("exit 1 with one line naming the file and the library's reason", arguments: ["garbage.mkv", "empty.mp4"])
    func fails(name: String) throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path(name), "-o", scratch.path("out.mkv")])
        #expect(run.status == 1)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(name) && run.stderr.contains("Invalid data"))
        #expect(scratch.contents.isEmpty)
    }

    @Test("usage errors keep ArgumentParser's exit code")
    func usage() throws {
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("tiny.mkv"), "--bit-depth", "12"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--bit-depth"))
    }

    @Test("--quality-target-ssim prints the search's steps, then encodes once at the chosen CRF")
    func qualityTarget() throws {
        let scratch = try Scratch()
        let output = scratch.path("out.mkv")
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("views-highrate.mkv"), "-o", output, "--preset", "12",
                                            "--quality-target-ssim", "0.98", "--progress", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("CRF search for SSIM-Y 0.98 in 18..45, on the prediction's samples:"), "\(run.stdout)")
        let chosen = run.stdout.split(separator: "\n").first { $0.contains("chosen: CRF ") }
            .flatMap { $0.components(separatedBy: "chosen: CRF ").last?.split(separator: " ").first }.flatMap { Int($0) }
        let crf = try #require(chosen, "\(run.stdout)")
        #expect(run.stdout.contains(", CRF \(crf), 10-bit"), "the encode ran at the chosen CRF: \(run.stdout)")
        #expect(scratch.contents == ["out.mkv"], "samples removed: \(scratch.contents)")
    }

    @Test("a quality target no CRF in range reaches: exit 3, the search said, nothing written")
    func qualityTargetUnreachable() throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("views-highrate.mkv"), "-o", scratch.path("out.mkv"), "--preset", "12",
                                            "--quality-target-ssim", "0.9999", "--crf-min", "40", "--crf-max", "45", "--progress", "none"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stderr.contains("views-highrate.mkv: nothing to do: no CRF in 40..45 reaches SSIM-Y 0.9999 on the samples (CRF 40 0.9"),
                "\(run.stderr)")
        #expect(scratch.contents.isEmpty)
    }

    @Test("quality target options are checked before anything runs", arguments: [
        (["--quality-target-ssim", "1.5"], "--quality-target-ssim must be above 0 and below 1"),
        (["--quality-target-psnr", "0"], "--quality-target-psnr must be above 0 and below 100 (dB)"),
        (["--quality-target-ssim", "0.98", "--quality-target-psnr", "40"], "give --quality-target-ssim or --quality-target-psnr, not both"),
        (["--quality-target-ssim", "0.98", "--crf-min", "30", "--crf-max", "20"], "--crf-max must not be below the lowest CRF (30)"),
        (["--crf-min", "0"], "--crf-min must be between 1 and 63"),
    ])
    func qualityTargetUsage(arguments: [String], message: String) throws {
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("tiny.mkv")] + arguments)
        #expect(run.status == 64)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("--verbose shows SVT-AV1's own configuration lines")
    func verbose() throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("hdr10.mkv"), "-o", scratch.path("out.mkv"),
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
        process.executableURL = URL(fileURLWithPath: Binaries.av1d)
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
