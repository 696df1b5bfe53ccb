import AV1Daemon
import Foundation
import Testing

/// The daemon as users run it: a real process on a real (temporary) library.
@Suite("Daemon on a library", .serialized)
struct DaemonTests {
    @Test("good, skipped, growing and hostile files all end in the right state")
    func library() throws {
        let daemon = try DaemonHarness(["max_concurrent_jobs": "2"])
        try daemon.add("multitrack.mkv")
        try daemon.add("bframes-movtext.mp4", as: "films/movie.mp4")
        try daemon.add("tiny.mkv")                            // below min_bytes
        try daemon.add("av1.mkv")                             // already AV1
        try daemon.add("audio-only.m4a", as: "music.mp4")     // no video
        try daemon.add("yuv444.mkv", as: "marked.mkv")
        _ = FileManager.default.createFile(atPath: daemon.library + "/marked.mkv.av1skip", contents: nil)
        try daemon.add("garbage.mkv")
        try daemon.add("dolby-vision.mp4")                    // dynamic HDR: skipped by default
        try String(repeating: "not a video, just text named .mp4\n", count: 1000)
            .write(toFile: daemon.library + "/text.mp4", atomically: true, encoding: .utf8)
        try daemon.add("truncated.mp4")
        let untouched = ["tiny.mkv", "av1.mkv", "music.mp4", "marked.mkv", "garbage.mkv", "text.mp4", "truncated.mp4",
                         "dolby-vision.mp4"]
        let before = Dictionary(uniqueKeysWithValues: untouched.map { ($0, Media.sha(daemon.library + "/" + $0)) })

        try daemon.start()
        #expect(daemon.wait {
            daemon.records(for: "multitrack.mkv").last?.status == .success
                && daemon.records(for: "films/movie.mp4").last?.status == .success
                && daemon.records(for: "garbage.mkv").last?.status == .failed
                && daemon.records(for: "text.mp4").last?.status == .failed
                && daemon.records(for: "av1.mkv").last?.status == .skipped
                && daemon.records(for: "music.mp4").last?.status == .skipped
                && daemon.records(for: "dolby-vision.mp4").last?.status == .skipped
        }, "\(daemon.log)")
        let stopped = try daemon.stop()
        #expect(stopped.status == 0)

        // Replaced files: Matroska under the .mkv name, AV1, decoding completely; the .mp4 is gone.
        #expect(Media.videoCodec(daemon.library + "/multitrack.mkv") == "av1")
        #expect(Media.decodesCleanly(daemon.library + "/multitrack.mkv"))
        #expect(Media.videoCodec(daemon.library + "/films/movie.mkv") == "av1")
        #expect(Media.decodesCleanly(daemon.library + "/films/movie.mkv"))
        #expect(!FileManager.default.fileExists(atPath: daemon.library + "/films/movie.mp4"))
        // Every file not replaced is byte-identical.
        for (name, sha) in before { #expect(Media.sha(daemon.library + "/" + name) == sha, "\(name) changed") }
        // Skips leave a marker and a reason; small and marked files get no job at all.
        #expect(daemon.records(for: "av1.mkv").last?.reason == "already AV1")
        #expect(daemon.records(for: "music.mp4").last?.reason == "no video stream")
        #expect(daemon.records(for: "dolby-vision.mp4").last?.reason?.contains("Dolby Vision") == true)
        #expect(FileManager.default.fileExists(atPath: daemon.library + "/av1.mkv.av1skip"))
        #expect((try? String(contentsOfFile: daemon.library + "/av1.mkv.why.txt", encoding: .utf8))?.contains("already AV1") == true)
        #expect(daemon.records(for: "tiny.mkv").isEmpty && daemon.records(for: "marked.mkv").isEmpty)
        // Hostile files: a clear reason, one line per failure in the log, and the daemon went on.
        #expect(daemon.records(for: "garbage.mkv").last?.reason?.contains("Invalid data") == true)
        #expect(daemon.records(for: "text.mp4").last?.status == .failed)
        // Records carry what the guide's jq recipes read.
        let success = try #require(daemon.records(for: "multitrack.mkv").last)
        #expect(success.videoHeight == 240 && success.originalBytes > 0 && (success.newBytes ?? 0) > 0)
        #expect(success.startedAt != nil && success.finishedAt != nil && success.encoderUsed?.hasPrefix("SVT-AV1") == true)
        // What happened to each stream: multitrack.mkv's two audio tracks, two subtitles and font are copied.
        #expect(success.streams?.map(\.action) == ["encode", "copy", "copy", "copy", "copy", "copy"])
        // Nothing left behind.
        #expect(daemon.files(in: daemon.temp).isEmpty)
        #expect(!daemon.files().contains { $0.hasSuffix(".av1d-staged") })
    }

    @Test("a file still being written waits for the stability window")
    func growingFile() throws {
        let daemon = try DaemonHarness(["stable_secs": "3"])
        let path = try daemon.add("multitrack.mkv")
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
        let written = Date()
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "multitrack.mkv").last?.status == .success }, "\(daemon.log)")
        let started = try #require(daemon.records(for: "multitrack.mkv").last?.startedAt)
        #expect(started.timeIntervalSince(written) >= 2, "started \(started.timeIntervalSince(written)) s after the last write")
        _ = try daemon.stop()
    }

    @Test("SIGTERM mid-job: exits 0 within 10 s, job interrupted, nothing left; the restart finishes it")
    func sigterm() throws {
        let daemon = try DaemonHarness()
        try daemon.add("bbb720.mp4")
        try daemon.start()
        #expect(daemon.wait { (daemon.records(for: "bbb720.mp4").last?.framesEncoded ?? 0) > 5 }, "\(daemon.log)")
        let stopped = try daemon.stop()
        #expect(stopped.status == 0)
        #expect(stopped.seconds < 10)
        #expect(daemon.records(for: "bbb720.mp4").last?.status == .interrupted)
        #expect(daemon.files(in: daemon.temp).isEmpty)
        #expect(daemon.files() == ["bbb720.mp4"])

        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "bbb720.mp4").last?.status == .success }, "\(daemon.log)")
        #expect(Media.decodesCleanly(daemon.library + "/bbb720.mkv"))
        _ = try daemon.stop()
    }

    @Test("the size gate: the DVB-style sample is replaced, a clip that grows is kept with the ratio and a marker")
    func sizeGate() throws {
        // CRF 20 at preset 12: the MPEG-2 sample comes to about a quarter, the small H.264 clip
        // (mostly its copied 5.1 AAC track) to more than its own size. Without prediction and
        // its size watch, which would stop the clip's encode part-way: the gate on a finished encode.
        let daemon = try DaemonHarness(["crf": "20", "max_size_ratio": "0.9", "predict": "false"])
        try daemon.add("bbb576-dvb.ts")
        try daemon.add("rotate90.mp4")
        let original = Media.sha(daemon.library + "/rotate90.mp4")
        try daemon.start()
        #expect(daemon.wait {
            daemon.records(for: "bbb576-dvb.ts").last?.status == .success && daemon.records(for: "rotate90.mp4").last?.status == .skipped
        }, "\(daemon.log)")
        _ = try daemon.stop()

        let replaced = try #require(daemon.records(for: "bbb576-dvb.ts").last)
        let newBytes = try #require(replaced.newBytes)
        #expect(Double(newBytes) < Double(replaced.originalBytes) * 0.9)
        #expect(replaced.encodedBytes == newBytes, "the last progress report has the output's size")
        #expect(Media.videoCodec(daemon.library + "/bbb576-dvb.mkv") == "av1")

        let kept = try #require(daemon.records(for: "rotate90.mp4").last)
        let ratio = Double(try #require(kept.newBytes)) / Double(kept.originalBytes)
        #expect(ratio > 1)
        #expect(kept.reason == String(format: "new file would be %.2f of the original; max_size_ratio is 0.9", ratio))
        #expect(Media.sha(daemon.library + "/rotate90.mp4") == original, "the original is untouched")
        #expect(FileManager.default.fileExists(atPath: daemon.library + "/rotate90.mp4.av1skip"))
        #expect(daemon.files(in: daemon.temp).isEmpty)
    }

    @Test("a file arriving between scan cycles is picked up through file-system events")
    func fileSystemEvents() throws {
        let daemon = try DaemonHarness(["scan_interval_secs": "3600"])
        try FileManager.default.createDirectory(atPath: daemon.library + "/new", withIntermediateDirectories: true)
        try daemon.start()
        #expect(daemon.wait { daemon.log.contains("started") })
        Thread.sleep(forTimeInterval: 0.5)
        try daemon.add("multitrack.mkv", as: "new/arrived.mkv")
        #expect(daemon.wait(timeout: 15) { daemon.records(for: "new/arrived.mkv").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
    }
}
