import Foundation
import NativeEncode
import Testing

/// The output is held to what the source declares, read apart from the encode; a source that
/// cannot be read to its end is a failure, never a shorter success.
@Suite("Verification against the source")
struct SourceVerificationTests {
    @Test("every good fixture passes verification against its source's declarations", arguments: [
        "multitrack.mkv", "hdr10.mkv", "vfr.mkv", "oddsize.mkv", "tiny.mkv", "bframes-movtext.mp4", "offset.mp4",
        "yuv422.mkv", "yuv444.mkv", "dolby-vision.mp4", "dropped-frames.avi", "edit-cut.mp4",
        "asf.wmv",
    ])
    func goodFixturesVerify(name: String) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        #expect(summary.fates.count == summary.source.streams.count)
        #expect(summary.fates.allSatisfy { $0.outcome != .dropped || $0.reason != nil })
        let report = try OutputVerifier.verify(path: output, summary: summary)
        #expect(report.frames == summary.framesEncoded)
        #expect(report.decoder == "libdav1d")
    }

    @Test("a cut made without re-encoding: what its edit list hides is neither shown nor copied")
    func editListCut() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("edit-cut.mp4", in: scratch)
        // ffmpeg shows 37 of the 50 video samples; the 13 before the cut only prime the decoder.
        #expect(summary.framesEncoded == 37)
        #expect(try Probe.videoFrameTimes(output).count == 37)
        // The hidden second of audio before the cut is not copied: sound starts with the picture.
        let audio = try #require(try Probe.firstPacketTime(output, "a:0"))
        let video = try #require(try Probe.firstPacketTime(output, "v:0"))
        #expect(abs(audio - video) <= 0.05, "audio starts at \(audio) s, video at \(video) s")
        // And the output is as long as the source declares (1.506 s), within a frame.
        #expect(try OutputVerifier.verify(path: output, summary: summary).frames == 37)
    }

    @Test("a read error mid-file: av1d encode exits 1 naming where and why, and leaves no output")
    func readErrorFailsEncode() throws {
        let scratch = try Scratch()
        let input = scratch.path("clip.mkv")
        try FileManager.default.copyItem(atPath: Fixtures.path("multitrack.mkv"), toPath: input)
        let original = try Data(contentsOf: URL(fileURLWithPath: input))
        let run = try Run(Binaries.av1d, ["encode", input, "--preset", "12", "--crf", "40"],
                          environment: ReadFault.environment(failing: input, after: 0.75))
        #expect(run.status == 1)
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(try Regex("clip.mkv: read error at [0-9]+% \\(Input/output error\\)")), "\(run.stderr)")
        #expect(scratch.contents == ["clip.mkv"], "no output and no partial file")
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == original)
    }

    @Test("a file whose header declares more than it holds fails as truncated", arguments: [
        ("cut-short.mp4", "source is truncated: 3.9 s of 10.0 s decodable"),
        ("truncated.mkv", "source is truncated: 1.0 s of 2.0 s decodable"),
    ])
    func truncatedFails(name: String, reason: String) throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path(name), "-o", scratch.path("out.mkv")])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(name): \(reason)"), "\(run.stderr)")
        #expect(scratch.contents.isEmpty)
        #expect {
            _ = try encodeFixture(name, in: scratch)
        } throws: { error in
            guard case .incompleteSource = error as? EncodeError else { return false }
            return "\(error)" == reason
        }
        #expect(scratch.contents.isEmpty)
    }

    @Test("video packets that do not decode, beyond one in 10,000 frames, fail the encode")
    func decodeErrorsFail() throws {
        let scratch = try Scratch()
        let damaged = scratch.path("damaged.mkv")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("multitrack.mkv")))
        // Three H.264 packets get an impossible NAL length: the demuxer reads them, the decoder refuses them.
        // (Matroska's packet position is the block's: track number, timecode and flags come first.)
        let packets = try Probe.json(Fixtures.path("multitrack.mkv"), ["-select_streams", "v:0", "-show_entries", "packet=pos"])
        let positions = (packets["packets"] as? [[String: Any]] ?? []).compactMap { ($0["pos"] as? String).flatMap(Int.init) }
        for index in [10, 20, 30] { bytes[positions[index] + 4] = 0x7F }
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let run = try Run(Binaries.av1d, ["encode", damaged, "--preset", "12", "--crf", "40"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("damaged.mkv: 3 video packets or frames do not decode (47 did)"), "\(run.stderr)")
        #expect(scratch.contents == ["damaged.mkv"])
    }

    @Test("what a source declares is read from its headers alone")
    func declarations() throws {
        let cut = try SourceFacts(path: Fixtures.path("cut-short.mp4"))
        #expect(cut.declaredSeconds == 10)
        // Packets shown, from the sample table after the edit list: the AAC priming packet is not one.
        #expect(cut.streams.map(\.frameCount) == [250, 469])
        #expect(cut.streams[0].durationSeconds == 10 && cut.streams[0].kind == .video && cut.streams[0].codec == "h264")
        // Matroska declares the file's length, no per-stream frame count.
        let mkv = try SourceFacts(path: Fixtures.path("truncated.mkv"))
        #expect(abs((mkv.declaredSeconds ?? 0) - 2.032) < 0.001)
        #expect(mkv.streams.allSatisfy { $0.frameCount == nil })
        // MPEG-TS declares nothing: libavformat measures it from the packets the file ends with.
        let scratch = try Scratch()
        let ts = try transportStream(in: scratch)
        #expect(try SourceFacts(path: ts).declaresLength == false)
    }

    @Test("MPEG-TS declares no length: a clean read to the end encodes, a read error fails")
    func transportStream() throws {
        let scratch = try Scratch()
        let ts = try transportStream(in: scratch)
        let clean = try Run(Binaries.av1d, ["encode", ts, "--preset", "12", "--crf", "40"])
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(clean.stdout.contains("frames 50 (decoded 50)"))
        try FileManager.default.removeItem(atPath: scratch.path("clip.av1.mkv"))
        let broken = try Run(Binaries.av1d, ["encode", ts, "--preset", "12", "--crf", "40"],
                             environment: ReadFault.environment(failing: ts, after: 0.6))
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("read error at"), "\(broken.stderr)")
        #expect(scratch.contents == ["clip.ts"])
    }

    @Test("an output missing a source stream fails verification, naming the stream")
    func droppedStreamFails() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("multitrack.mkv", in: scratch)
        #expect(summary.fates.map(\.outcome) == [.encoded, .kept, .kept, .kept, .kept, .kept])
        #expect(try OutputVerifier.verify(path: output, summary: summary).frames == 50)
        // The same output with the second audio stream (source stream 2, AC-3) taken out by ffmpeg.
        let thinned = scratch.path("thinned.mkv")
        try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", output, "-map", "0", "-map", "-0:a:1", "-c", "copy", thinned])
        #expect(try Probe.streams(thinned).filter { $0.codecName == "ac3" }.isEmpty)
        #expect {
            _ = try OutputVerifier.verify(path: thinned, summary: summary)
        } throws: { error in
            "\(error)" == "output: source stream 2 (audio, ac3) is missing from the output"
        }
    }

    @Test("an output shorter than the source declares fails verification, though every frame in it decodes")
    func shortOutputFails() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("bbb720.mp4", in: scratch)
        #expect(summary.fates.map(\.outcome) == [.encoded, .kept])
        // The first two seconds of the output: what a read that stopped early would have produced.
        let half = scratch.path("half.mkv")
        try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", output, "-map", "0", "-c", "copy", "-t", "2", half])
        // The engine's own account agrees with the shorter file: only the source's declarations show the loss.
        var claimed = summary
        let times = try Probe.videoFrameTimes(half)
        claimed.framesDecoded = times.count
        claimed.durationSeconds = (times.max() ?? 0) + 0.04 - (times.min() ?? 0)
        #expect(claimed.framesDecoded < 60)
        #expect {
            _ = try OutputVerifier.verify(path: half, summary: claimed)
        } throws: { error in
            // The copied audio is checked first: its packet count in MP4's header.
            let said = "\(error)"
            return said.hasPrefix("output: source stream 1 (audio, aac) has ") && said.contains("the source declares 249")
        }
    }

    /// bframes-movtext.mp4's video and audio remuxed into MPEG-TS by ffmpeg.
    private func transportStream(in scratch: Scratch) throws -> String {
        let ts = scratch.path("clip.ts")
        try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", Fixtures.path("bframes-movtext.mp4"),
                                    "-map", "0:v:0", "-map", "0:a", "-c", "copy", "-f", "mpegts", ts])
        return ts
    }
}
