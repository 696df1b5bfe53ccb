import Foundation
import NativeEncode
import Testing

/// Every case from the engine issue, on real media, checked with ffprobe/ffmpeg (libdav1d).
@Suite("What must come out right")
struct StreamPreservationTests {
    @Test("multi-track MKV: audio, subtitles, font attachment, chapters, title and tags all kept")
    func multitrack() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("multitrack.mkv", in: scratch)
        let source = try Probe.streams(Fixtures.path("multitrack.mkv"))
        let result = try Probe.streams(output)

        #expect(result.count == source.count)
        #expect(result.filter { $0.codecType == "video" }.map(\.codecName) == ["av1"])
        // Every non-video stream: same codec, language, title, default/forced flags, in order.
        let kept = source.filter { $0.codecType != "video" }
        let copied = result.filter { $0.codecType != "video" }
        #expect(copied.count == kept.count)
        for (before, after) in zip(kept, copied) {
            #expect(after.codecName == before.codecName)
            #expect(after.tag("language") == before.tag("language"))
            #expect(after.tag("title") == before.tag("title"))
            #expect(after.tag("filename") == before.tag("filename"))
            #expect(after.disposition("default") == before.disposition("default"))
            #expect(after.disposition("forced") == before.disposition("forced"))
        }
        #expect(copied.contains { $0.codecType == "attachment" && $0.tag("mimetype") != nil })

        let sourceFormat = try Probe.format(Fixtures.path("multitrack.mkv"))
        let resultFormat = try Probe.format(output)
        let chapters = { (format: [String: Any]) in
            (format["chapters"] as? [[String: Any]] ?? []).map { "\($0["start_time"] ?? "")-\($0["end_time"] ?? "") \($0.tag("title") ?? "")" }
        }
        #expect(chapters(resultFormat).count == 3)
        #expect(chapters(resultFormat) == chapters(sourceFormat))
        let sourceTags = (sourceFormat["format"] as? [String: Any]) ?? [:]
        let resultTags = (resultFormat["format"] as? [String: Any]) ?? [:]
        #expect(resultTags.tag("title") == "Multitrack Test")
        #expect(resultTags.tag("comment") == sourceTags.tag("comment"))

        let decoded = try Probe.decodeWithDav1d(output)
        #expect(decoded.errors.isEmpty)
        #expect(decoded.frames == 50)
        #expect(summary.framesEncoded == 50 && summary.framesDecoded == 50)
    }

    @Test("MP4 with B-frames, mov_text and cover art: SRT subtitles, cover as attachment, one video stream")
    func mp4WithMovText() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("bframes-movtext.mp4", in: scratch)
        let result = try Probe.streams(output)
        let pictures = result.filter { $0.codecType == "video" && $0.disposition("attached_pic") == 0 }
        #expect(pictures.map(\.codecName) == ["av1"])
        let subtitles = result.filter { $0.codecType == "subtitle" }
        #expect(subtitles.map(\.codecName) == ["subrip"])
        #expect(subtitles.first?.tag("language") == "eng")
        // Matroska readers show an image attachment as an attached picture: never as a second video to play.
        let cover = result.filter { $0.disposition("attached_pic") == 1 || $0.codecType == "attachment" }
        #expect(cover.count == 1)
        #expect(cover.first?.tag("mimetype")?.hasPrefix("image/") == true)
        #expect(summary.notes.contains { $0.contains("SRT") })

        let cues = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", output, "-map", "0:s:0", "-f", "srt", "-"]).stdout
        let sourceCues = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", Fixtures.path("bframes-movtext.mp4"),
                                                     "-map", "0:s:0", "-f", "srt", "-"]).stdout
        let text = { (srt: String) in srt.split(separator: "\n").filter { !$0.contains("-->") } }
        #expect(text(cues) == text(sourceCues))
        #expect(text(cues).contains("First mov_text cue."))
        // Cues stay in sync with the picture: the same offset from the first video frame.
        let sourceVideo = try #require(try Probe.firstPacketTime(Fixtures.path("bframes-movtext.mp4"), "v:0"))
        let outputVideo = try #require(try Probe.firstPacketTime(output, "v:0"))
        let before = try Probe.cueStarts(Fixtures.path("bframes-movtext.mp4")).map { $0 - sourceVideo }
        let after = try Probe.cueStarts(output).map { $0 - outputVideo }
        #expect(before.count == after.count)
        for (a, b) in zip(before, after) { #expect(abs(a - b) < 0.0015) }

        let decoded = try Probe.decodeWithDav1d(output)
        #expect(decoded.errors.isEmpty)
        #expect(decoded.frames == 50)
    }

    @Test("10-bit HDR10 HEVC: colour description and mastering/light metadata in bitstream and container")
    func hdr10() throws {
        let scratch = try Scratch()
        let (_, output) = try encodeFixture("hdr10.mkv", in: scratch)
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["color_primaries"] as? String == "bt2020")
        #expect(video["color_transfer"] as? String == "smpte2084")
        #expect(video["color_space"] as? String == "bt2020nc")
        #expect(video["color_range"] as? String == "tv")
        #expect(video["pix_fmt"] as? String == "yuv420p10le")
        let containerSideData = (video["side_data_list"] as? [[String: Any]] ?? []).compactMap { $0["side_data_type"] as? String }
        #expect(containerSideData.contains("Mastering display metadata"))
        #expect(containerSideData.contains("Content light level metadata"))

        // In the AV1 bitstream itself, as an independent decoder (libdav1d) reports it.
        let info = try Probe.firstFrameInfo(output, decoder: "libdav1d")
        let bitstreamLines = info.split(separator: "\n").filter { $0.contains("Parsed_showinfo") }.joined(separator: "\n")
        #expect(bitstreamLines.contains("r(0.6800,0.3200) g(0.2650,0.6900) b(0.1500 0.0600) wp(0.3127, 0.3290)"))
        #expect(bitstreamLines.contains("max_luminance=1000.000000"))
        #expect(bitstreamLines.contains("MaxCLL=1000, MaxFALL=400"))
        #expect(try Probe.decodeWithDav1d(output).errors.isEmpty)
    }

    @Test("variable frame rate: every frame keeps its own timestamp")
    func variableFrameRate() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("vfr.mkv", in: scratch)
        let before = try Probe.videoFrameTimes(Fixtures.path("vfr.mkv"))
        let after = try Probe.videoFrameTimes(output)
        #expect(before.count == 60)
        #expect(after.count == before.count)
        // Matroska stores milliseconds: equal to the millisecond, frame by frame.
        for (a, b) in zip(before, after) { #expect(abs(a - b) < 0.0015, "frame at \(a) came out at \(b)") }
        let steps = Set(zip(after, after.dropFirst()).map { (($1 - $0) * 1000).rounded() })
        #expect(steps.count > 1, "the source's irregular steps survive")
        #expect(summary.framesEncoded == 60)
    }

    @Test("a source starting at 1 s keeps its audio/video offset")
    func startOffset() throws {
        let scratch = try Scratch()
        let (_, output) = try encodeFixture("offset.mp4", in: scratch)
        // Offset between the first video frame and the first audio packet, before and after.
        let offset = { (path: String) throws -> Double in
            let video = try #require(try Probe.firstPacketTime(path, "v:0"))
            let audio = try #require(try Probe.firstPacketTime(path, "a:0"))
            return video - audio
        }
        let before = try offset(Fixtures.path("offset.mp4")), after = try offset(output)
        #expect(before > 0.99)
        #expect(abs(before - after) < 0.0015)
        #expect(try Probe.videoFrameTimes(output).count == 25)
    }

    @Test("sizes SVT-AV1 refuses still encode at their exact size", arguments: [
        ("oddsize.mkv", 853, 479), ("tiny.mkv", 62, 48),
    ])
    func oddSizes(name: String, width: Int, height: Int) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch, settings: fastSettings { $0.encoder = .auto })
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["width"] as? Int == width)
        #expect(video["height"] as? Int == height)
        #expect(video.codecName == "av1")
        #expect(summary.encoder.hasPrefix("libaom"))
        let decoded = try Probe.decodeWithDav1d(output)
        #expect(decoded.errors.isEmpty)
        #expect(decoded.frames == 24)
    }

    @Test("4:2:2 and 4:4:4 become 4:2:0 at the chosen depth", arguments: [
        ("yuv422.mkv", 10, "yuv420p10le"), ("yuv444.mkv", 10, "yuv420p10le"), ("yuv444.mkv", 8, "yuv420p"),
    ])
    func pixelFormats(name: String, depth: Int, expected: String) throws {
        let scratch = try Scratch()
        let (_, output) = try encodeFixture(name, in: scratch, settings: fastSettings { $0.bitDepth = depth })
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["pix_fmt"] as? String == expected)
        let decoded = try Probe.decodeWithDav1d(output)
        #expect(decoded.errors.isEmpty)
        #expect(decoded.frames == 24)
    }

    @Test("Dolby Vision is detected: the probe says so, and an encode keeps HDR10-compatible video with a note")
    func dolbyVision() throws {
        let info = try MediaProbe.inspect(path: Fixtures.path("dolby-vision.mp4"))
        #expect(info.dynamicHDR == .dolbyVision)
        #expect(try MediaProbe.inspect(path: Fixtures.path("hdr10.mkv")).dynamicHDR == nil)
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("dolby-vision.mp4", in: scratch)
        #expect(summary.notes.contains { $0.contains("Dolby Vision") && $0.contains("cannot be carried") })
        #expect(try Probe.decodeWithDav1d(output).errors.isEmpty)
    }
}
