import Foundation
import NativeEncode
import Testing

/// Issue 10's video rows, on the real footage: what a player shows of the output matches what it
/// shows of the source (upright, one size, deinterlaced, the container's aspect, RGB colours),
/// judged by ffmpeg/ffprobe with libdav1d decoding the output.
@Suite("Pictures come out as players show the source")
struct PictureShapeTests {
    @Test("portrait phone video: pixels turned upright, no rotation left in the output", arguments: [
        ("rotate90.mp4", "transpose=cclock"), ("rotate180.mp4", "null"), ("rotate270.mp4", "transpose=clock"),
        ("rotate-sei.mkv", "transpose=clock"),
    ])
    func rotation(name: String, wrongWay: String) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        let turned = wrongWay != "null"
        #expect(video["width"] as? Int == (turned ? 180 : 320))
        #expect(video["height"] as? Int == (turned ? 320 : 180))
        #expect((video["side_data_list"] as? [[String: Any]] ?? []).allSatisfy { $0["rotation"] == nil })
        #expect(summary.framesEncoded == 50)
        #expect(summary.notes.contains { $0.contains("turned") })

        // The same pictures as the ffmpeg CLI's autorotated decode of the source, and not as the
        // source turned the other way (a wrong direction would match that instead).
        let upright = try PictureCheck.ssim(output, Fixtures.path(name))
        let wrong = try PictureCheck.ssim(output, Fixtures.path(name), sourceFilter: wrongWay, autorotate: false)
        #expect(upright.all > 0.9, "SSIM against the upright source \(upright.all)")
        #expect(wrong.all < 0.6, "SSIM against the source turned the wrong way \(wrong.all)")
    }

    @Test("size change mid-stream: every picture at the first size, none lost, both parts intact",
          arguments: [("size-change-h264.ts", 640, 360), ("size-change-mpeg2.ts", 352, 288)])
    func sizeChange(name: String, width: Int, height: Int) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        let sourceFrames = try PictureCheck.frameSizes(Fixtures.path(name))
        #expect(Set(sourceFrames.map { "\($0.width)x\($0.height)" }).count == 2, "the fixture changes size")
        let sizes = try PictureCheck.frameSizes(output)
        #expect(sizes.count == sourceFrames.count)
        #expect(sizes.allSatisfy { $0.width == width && $0.height == height })
        #expect(summary.notes.contains { $0.contains("scaled to the first size") })
        let decoded = try Probe.decodeWithDav1d(output)
        #expect(decoded.errors.isEmpty)

        // Against the ffmpeg CLI's own decode (it scales every picture to the first size too):
        // never garbage, in either part.
        let reference = scratch.path("reference.mkv")
        try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", Fixtures.path(name), "-map", "0:v", "-c:v", "ffv1", reference])
        let similarity = try PictureCheck.ssim(output, reference)
        #expect(similarity.frames.count == sizes.count)
        let firstSize = sourceFrames.prefix { $0 == sourceFrames[0] }.count
        let before = similarity.frames.prefix(firstSize), after = similarity.frames.dropFirst(firstSize)
        #expect(before.min() ?? 0 > 0.8, "first part: lowest SSIM \(before.min() ?? 0)")
        #expect(after.min() ?? 0 > 0.8, "after the change: lowest SSIM \(after.min() ?? 0)")
    }

    @Test("interlaced source: deinterlaced by default (bwdif), flagged progressive, timestamps kept",
          arguments: ["interlaced.mkv", "interlaced-mpeg2.ts"])
    func deinterlacedByDefault(name: String) throws {
        let scratch = try Scratch()
        let source = Fixtures.path(name)
        let (summary, output) = try encodeFixture(name, in: scratch)
        let sourceFields = try PictureCheck.fieldDetection(source)
        #expect(sourceFields.topFirst >= 45, "the fixture is interlaced: \(sourceFields)")

        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["field_order"] as? String == "progressive")
        // libavfilter's idet looks at the pixels: combing gone from most pictures.
        let fields = try PictureCheck.fieldDetection(output)
        #expect(fields.progressive >= 25 && fields.progressive > fields.topFirst, "\(fields)")
        #expect(summary.notes.contains { $0.contains("deinterlaced") })
        // One picture per frame, at the source's own times (counted from the first picture).
        let relative = { (times: [Double]) in times.map { (($0 - (times.first ?? 0)) * 1000).rounded() } }
        #expect(try relative(Probe.videoFrameTimes(output)) == relative(Probe.videoFrameTimes(source)))
        // Closer to the ffmpeg CLI's bwdif of the source than to the combed source itself.
        let deinterlaced = try PictureCheck.ssim(output, source, sourceFilter: "bwdif=mode=send_frame:deint=interlaced")
        let combed = try PictureCheck.ssim(output, source)
        #expect(deinterlaced.all > 0.9 && deinterlaced.all > combed.all, "\(deinterlaced.all) vs \(combed.all)")
    }

    @Test("av1d encode --deinterlace off keeps the fields and flags their order")
    func deinterlaceOff() throws {
        let scratch = try Scratch()
        let output = scratch.path("kept.mkv")
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("interlaced.mkv"), "-o", output, "--preset", "12",
                                            "--crf", "40", "--progress", "none", "--deinterlace", "off"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("deinterlaced"))
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["field_order"] as? String == "tt")
        let fields = try PictureCheck.fieldDetection(output)
        #expect(fields.topFirst >= 45, "\(fields)")
        let bad = try Run(Binaries.av1d, ["encode", Fixtures.path("interlaced.mkv"), "--deinterlace", "yadif"])
        #expect(bad.status == 64)
    }

    @Test("anamorphic: the container's 16:9 wins over the bitstream's square pixels",
          arguments: ["anamorphic.mkv", "anamorphic.mp4"])
    func containerAspectWins(name: String) throws {
        let scratch = try Scratch()
        let (_, output) = try encodeFixture(name, in: scratch)
        let source = try #require(try Probe.streams(Fixtures.path(name)).first { $0.codecType == "video" })
        #expect(source["sample_aspect_ratio"] as? String == "64:45", "the fixture's container says 16:9")
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["width"] as? Int == 720 && video["height"] as? Int == 576)
        #expect(video["sample_aspect_ratio"] as? String == "64:45")
        #expect(video["display_aspect_ratio"] as? String == "16:9")
    }

    @Test("RGB sources: converted with BT.601 and tagged so, colours intact",
          arguments: [("rgb-utvideo.avi", "tv"), ("rgb-qtrle.mov", "tv"), ("rgb-png.mov", "pc")])
    func rgbSources(name: String, range: String) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        #expect(summary.framesEncoded == 10)
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["pix_fmt"] as? String == "yuv420p10le")
        #expect(video["color_space"] as? String == "smpte170m")
        #expect(video["color_range"] as? String == range)
        // Compared in RGB: the decode back uses the tagged matrix and range.
        let similarity = try PictureCheck.ssim(output, Fixtures.path(name), outputFilter: "format=gbrp", sourceFilter: "format=gbrp")
        #expect(similarity.all > 0.9, "SSIM in RGB \(similarity.all)")
    }
}

/// Picture checks made with the ffmpeg CLI (an independent reader; libdav1d decodes AV1).
enum PictureCheck {
    struct Similarity {
        var all: Double
        var frames: [Double]
    }

    /// SSIM of `output` against `source`, frame by frame, after optional filters on each side.
    /// The ffmpeg CLI turns the source upright by its display matrix unless `autorotate` is false.
    static func ssim(_ output: String, _ source: String, outputFilter: String = "null", sourceFilter: String = "null",
                     autorotate: Bool = true) throws -> Similarity {
        let stats = FileManager.default.temporaryDirectory.appendingPathComponent("ssim-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: stats) }
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner", "-c:v", "libdav1d", "-i", output]
                          + (autorotate ? [] : ["-noautorotate"]) + ["-i", source, "-lavfi",
                          "[0:v:0]\(outputFilter)[a];[1:v:0]\(sourceFilter)[b];[a][b]ssim=stats_file=\(stats)", "-f", "null", "-"])
        guard let all = run.stderr.split(separator: " ").first(where: { $0.hasPrefix("All:") }).flatMap({ Double($0.dropFirst(4)) }) else {
            throw Probe.ProbeError(message: "no SSIM from ffmpeg: \(run.stderr.suffix(400))")
        }
        let frames = try String(contentsOfFile: stats, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("All:") }.flatMap { Double($0.dropFirst(4)) }
        }
        return Similarity(all: all, frames: frames)
    }

    struct Size: Equatable { var width: Int, height: Int }

    /// The size of every decoded picture, in order.
    static func frameSizes(_ path: String) throws -> [Size] {
        let frames = try Probe.json(path, ["-select_streams", "v:0", "-show_entries", "frame=width,height"])["frames"] as? [[String: Any]] ?? []
        return frames.compactMap { frame in
            guard let width = frame["width"] as? Int, let height = frame["height"] as? Int else { return nil }
            return Size(width: width, height: height)
        }
    }

    struct Fields: CustomStringConvertible {
        var topFirst = 0, bottomFirst = 0, progressive = 0
        var description: String { "TFF \(topFirst), BFF \(bottomFirst), progressive \(progressive)" }
    }

    /// libavfilter's idet verdict on the pixels (not the flags): how many pictures look interlaced.
    static func fieldDetection(_ path: String) throws -> Fields {
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner", "-i", path, "-map", "0:v:0", "-vf", "idet", "-f", "null", "-"])
        guard let line = run.stderr.split(separator: "\n").first(where: { $0.contains("Multi frame detection") }) else {
            throw Probe.ProbeError(message: "no idet verdict: \(run.stderr.suffix(400))")
        }
        let numbers = line.split(separator: ":").dropFirst(2).compactMap { Int($0.split(separator: " ").first ?? "") }
        guard numbers.count >= 3 else { throw Probe.ProbeError(message: "unreadable idet line: \(line)") }
        return Fields(topFirst: numbers[0], bottomFirst: numbers[1], progressive: numbers[2])
    }
}

/// HDR10 mastering metadata with only one of its two parts (common in Matroska): no trap on
/// `av_q2d({0, 0})`, the part present kept, the absent one left unset.
@Suite("Partial HDR mastering metadata")
struct PartialHDRTests {
    @Test("only luminance, or only primaries: encoded, the present part kept, the absent one unset",
          arguments: [("hdr-luminance-only.mkv", "max_luminance", "red_x"), ("hdr-primaries-only.mkv", "red_x", "max_luminance")])
    func partialMasteringDisplay(name: String, present: String, absent: String) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        let sourceDisplay = try #require(try Self.masteringDisplay(Fixtures.path(name)), "the fixture carries a partial description")
        #expect(sourceDisplay[present] != nil && sourceDisplay[absent] == nil)

        let display = try #require(try Self.masteringDisplay(output))
        #expect(display[present] as? String == sourceDisplay[present] as? String)
        #expect(display[absent] == nil)
        let video = try #require(try Probe.streams(output).first { $0.codecType == "video" })
        #expect(video["color_transfer"] as? String == "smpte2084" && video["color_primaries"] as? String == "bt2020")
        #expect(summary.notes.contains { $0.contains("mastering display metadata has only") })
        #expect(try Probe.decodeWithDav1d(output).errors.isEmpty)
    }

    /// The stream's mastering display side data as ffprobe prints it (only the parts flagged present).
    static func masteringDisplay(_ path: String) throws -> [String: Any]? {
        let video = try Probe.streams(path).first { $0.codecType == "video" }
        return (video?["side_data_list"] as? [[String: Any]])?.first { $0["side_data_type"] as? String == "Mastering display metadata" }
    }
}
