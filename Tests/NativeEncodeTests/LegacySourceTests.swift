import Foundation
import NativeEncode
import Testing

/// Issue 10's audio, timestamp and container rows: older and broadcast files, cut from the real
/// footage, each checked with ffprobe/ffmpeg against its source.
@Suite("Legacy audio, broadcast clocks, joined recordings")
struct LegacySourceTests {
    /// The decoded samples of one audio stream, as 32-bit PCM: equal digests mean equal sound.
    static func audioDigest(_ path: String, stream: Int) throws -> String {
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-xerror", "-i", path, "-map", "0:a:\(stream)",
                                              "-c:a", "pcm_s32le", "-f", "md5", "-"])
        #expect(run.status == 0 && run.stderr.isEmpty, "audio stream \(stream) of \(path) does not decode cleanly: \(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Seconds of sound one audio stream decodes to (ffmpeg's own count of samples written).
    static func audioSeconds(_ path: String, stream: Int) throws -> Double {
        let samples = try Probe.json(path, ["-select_streams", "a:\(stream)", "-show_entries", "frame=nb_samples"])
        let frames = samples["frames"] as? [[String: Any]] ?? []
        let streams = try Probe.json(path, ["-select_streams", "a:\(stream)", "-show_entries", "stream=sample_rate"])["streams"]
        let rateText = (streams as? [[String: Any]])?.first?["sample_rate"] as? String
        let rate = try #require(rateText.flatMap { Double($0) })
        return Double(frames.compactMap { $0["nb_samples"] as? Int }.reduce(0, +)) / rate
    }

    static func formatField(_ path: String, _ key: String) throws -> Double {
        let format = try Probe.json(path, ["-show_format"])["format"] as? [String: Any] ?? [:]
        return (format[key] as? String).flatMap(Double.init) ?? .nan
    }

    @Test("audio Matroska can write (natively or as A_MS/ACM) is copied and decodes to the same sound",
          arguments: ["legacy.wmv", "dvd-audio.avi", "broadcast.ts", "phone.3gp"])
    func copiedAudio(name: String) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        let source = try Probe.streams(Fixtures.path(name)).filter { $0.codecType == "audio" }
        let result = try Probe.streams(output).filter { $0.codecType == "audio" }
        #expect(!source.isEmpty)
        #expect(result.map(\.codecName) == source.map(\.codecName), "every audio track kept, same codec, same order")
        for index in source.indices {
            #expect(try Self.audioDigest(output, stream: index) == Self.audioDigest(Fixtures.path(name), stream: index))
        }
        let audioDecisions = summary.streams.filter { $0.kind == "audio" }
        #expect(audioDecisions.count == source.count)
        #expect(audioDecisions.allSatisfy { $0.action == "copy" })
        #expect(!summary.notes.contains { $0.contains("dropped") })
    }

    @Test("the codecs Matroska holds only under a WAV format tag are said to be written as A_MS/ACM")
    func waveFormatTags() throws {
        let scratch = try Scratch()
        let (summary, _) = try encodeFixture("dvd-audio.avi", in: scratch)
        let why = Dictionary(uniqueKeysWithValues: summary.streams.map { ($0.codec, $0.why) })
        // pcm_s16le and pcm_u8 have Matroska IDs of their own; the others only a WAV tag.
        #expect(why["pcm_s16le"]?.contains("Matroska holds") == true)
        for codec in ["pcm_alaw", "pcm_mulaw", "adpcm_ima_wav", "adpcm_ms"] {
            #expect(why[codec]?.contains("A_MS/ACM") == true, "\(codec): \(why[codec] ?? "-")")
        }
    }

    @Test("PCM Matroska cannot hold is converted without losing a bit: integers to FLAC, floats to float PCM",
          arguments: [("bluray.m2ts", "pcm_bluray", "flac", "24"), ("dvd-lpcm.vob", "pcm_dvd", "flac", "16"),
                      ("float-pcm.mov", "pcm_f32be", "pcm_f32le", nil)])
    func losslessConversion(name: String, codec: String, target: String, bits: String?) throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture(name, in: scratch)
        let audio = try Probe.streams(output).filter { $0.codecType == "audio" }
        #expect(audio.map(\.codecName) == [target])
        if let bits { #expect(audio.first?["bits_per_raw_sample"] as? String == bits) }
        #expect(try Self.audioDigest(output, stream: 0) == Self.audioDigest(Fixtures.path(name), stream: 0))
        let decision = try #require(summary.streams.first { $0.kind == "audio" })
        #expect(decision.codec == codec && decision.action == "convert" && decision.convertedTo == target && decision.bitRate == nil)
        #expect(summary.notes.contains { $0.contains(codec) && $0.contains("converted") })
    }

    @Test("a gap in converted sound becomes silence: the sound after it stays in step with the picture, to the sample")
    func gapInConvertedSound() throws {
        let scratch = try Scratch()
        let name = "bluray-gap.m2ts"
        let (_, output) = try encodeFixture(name, in: scratch)
        // The same stretch after the gap, picked by time: equal samples only if nothing moved.
        let stretch = { (path: String, start: Double) throws -> String in
            try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-af",
                                        "atrim=start=\(start):end=\(start + 0.1)", "-c:a", "pcm_s32le", "-f", "md5", "-"]).stdout
        }
        for start in [0.2, 1.2] {
            #expect(try stretch(output, start) == stretch(Fixtures.path(name), start), "at \(start) s")
        }
        // The sound runs from start to end without a hole: the missing 0.3 s are silence.
        let sourceSpan = try Self.formatField(Fixtures.path(name), "duration")
        #expect(abs(try Self.audioSeconds(output, stream: 0) - sourceSpan) < 0.01)
        #expect(try Self.audioSeconds(Fixtures.path(name), stream: 0) < sourceSpan - 0.25)
    }

    @Test("lossy audio Matroska cannot hold (QuickTime IMA4) becomes Opus at 64 kb/s per channel, same length and loudness")
    func lossyToOpus() throws {
        let scratch = try Scratch()
        let name = "quicktime-ima4.mov"
        let (summary, output) = try encodeFixture(name, in: scratch)
        let audio = try Probe.streams(output).filter { $0.codecType == "audio" }
        #expect(audio.map(\.codecName) == ["opus"])
        #expect(audio.first?["channels"] as? Int == 2)
        let decision = try #require(summary.streams.first { $0.kind == "audio" })
        #expect(decision.action == "convert" && decision.convertedTo == "opus" && decision.bitRate == 128_000)
        #expect(summary.notes.contains { $0.contains("adpcm_ima_qt") && $0.contains("Opus at 128 kb/s") })
        // Opus pads its start (pre-skip); the sound itself lasts as long as the source's, within one 20 ms frame.
        let before = try Self.audioSeconds(Fixtures.path(name), stream: 0), after = try Self.audioSeconds(output, stream: 0)
        #expect(abs(after - before) < 0.021, "source \(before) s, output \(after) s")
        let loudness = { (path: String) throws -> Double in
            let log = try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner", "-i", path, "-map", "0:a:0", "-af", "volumedetect",
                                                  "-f", "null", "-"]).stderr
            let line = try #require(log.split(separator: "\n").first { $0.contains("mean_volume:") })
            return try #require(Double(line.split(separator: ":").last!.replacingOccurrences(of: "dB", with: "")
                .trimmingCharacters(in: .whitespaces)))
        }
        #expect(abs(try loudness(output) - loudness(Fixtures.path(name))) < 1.0)
    }

    @Test("a broadcast clock starting at 26,001 s starts at 0; duration and the A/V offset are the source's")
    func broadcastStartTime() throws {
        let scratch = try Scratch()
        let name = "broadcast.ts"
        let (_, output) = try encodeFixture(name, in: scratch)
        #expect(try Self.formatField(Fixtures.path(name), "start_time") > 26_000)
        #expect(try Self.formatField(output, "start_time") < 0.001)
        let sourceDuration = try Self.formatField(Fixtures.path(name), "duration")
        #expect(abs(try Self.formatField(output, "duration") - sourceDuration) < 0.01)
        let offset = { (path: String) throws -> Double in
            try #require(try Probe.firstPacketTime(path, "v:0")) - #require(try Probe.firstPacketTime(path, "a:0"))
        }
        #expect(abs(try offset(output) - offset(Fixtures.path(name))) < 0.002)
    }

    @Test("MPEG-TS recordings joined with cat: full length, both halves' pictures in order, the jump noted")
    func joinedTransportStreams() throws {
        let scratch = try Scratch()
        let name = "joined.ts"
        let (summary, output) = try encodeFixture(name, in: scratch)
        #expect(summary.notes.contains { $0.contains("source clock jumped") })
        #expect(summary.framesEncoded == 100)
        let times = try Probe.videoFrameTimes(output)
        #expect(times.count == 100)
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(steps.allSatisfy { abs($0 - 0.04) < 0.002 }, "one picture every 40 ms, no gap or overlap at the join")
        #expect(abs(try Self.formatField(output, "duration") - 4.0) < 0.05)
        #expect(abs(try Self.audioSeconds(output, stream: 0) - Self.audioSeconds(Fixtures.path(name), stream: 0)) < 0.001)
        // Picture by picture against the source as ffmpeg decodes it, paired by position: a half
        // placed wrongly would compare unlike pictures.
        let stats = scratch.path("ssim.txt")
        let compare = try Run("/usr/bin/ffmpeg", [
            "-nostdin", "-v", "error", "-i", output, "-i", Fixtures.path(name), "-lavfi",
            "[0:v]setpts=N/25/TB[a];[1:v]setpts=N/25/TB[b];[a][b]ssim=stats_file=\(stats)", "-f", "null", "-"])
        #expect(compare.status == 0, "\(compare.stderr)")
        let scores = try String(contentsOfFile: stats, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("All:") }.flatMap { Double($0.dropFirst(4)) }
        }
        #expect(scores.count == 100)
        #expect(scores.allSatisfy { $0 > 0.8 }, "lowest SSIM \(scores.min() ?? 0)")
    }

    @Test("TS and AVI mark no default track: the first video and audio become default, the others not",
          arguments: ["broadcast.ts", "dvd-audio.avi"])
    func defaultTracks(name: String) throws {
        let scratch = try Scratch()
        let (_, output) = try encodeFixture(name, in: scratch)
        #expect(try Probe.streams(Fixtures.path(name)).allSatisfy { $0.disposition("default") == 0 })
        let streams = try Probe.streams(output)
        #expect(streams.filter { $0.codecType == "video" }.map { $0.disposition("default") } == [1])
        let audio = streams.filter { $0.codecType == "audio" }.map { $0.disposition("default") }
        #expect(audio.first == 1 && audio.dropFirst().allSatisfy { $0 == 0 })
    }

    @Test("cover art listed before the tracks: verification passes, the picture keeps its type (PNG)")
    func coverArtFirst() throws {
        let scratch = try Scratch()
        let (summary, output) = try encodeFixture("cover-first.mp4", in: scratch)
        #expect(try Probe.streams(Fixtures.path("cover-first.mp4")).first?.disposition("attached_pic") == 1)
        let report = try OutputVerifier.verify(path: output, summary: summary)
        #expect(report.streamKinds == ["video", "audio", "attachment"])
        let cover = try #require(try Probe.streams(output).first { $0.disposition("attached_pic") == 1 || $0.codecType == "attachment" })
        #expect(cover.tag("mimetype") == "image/png")
        #expect(cover.tag("filename") == "cover.png")
    }

    @Test("closed captions inside the H.264 become an SRT track with the cues ffmpeg's own caption decoder reads")
    func closedCaptions() throws {
        let scratch = try Scratch()
        let name = "captions.ts"
        let info = try Run("/usr/bin/ffprobe", ["-hide_banner", Fixtures.path(name)]).stderr
        #expect(info.contains("Closed Captions"), "the fixture carries captions")
        let (summary, output) = try encodeFixture(name, in: scratch)
        #expect(summary.notes.contains { $0.contains("closed captions") && $0.contains("extracted to an SRT subtitle track") })
        let subtitles = try Probe.streams(output).filter { $0.codecType == "subtitle" }
        #expect(subtitles.map(\.codecName) == ["subrip"])
        #expect(subtitles.first?.tag("title") == "Closed captions (CC1)")
        // The same cues, at the same times, as ffmpeg's own extraction (lavfi movie's subcc output).
        let cues = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", output, "-map", "0:s:0", "-f", "srt", "-"]).stdout
        let reference = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i",
                                                    "movie=\(Fixtures.path(name))[out0+subcc]", "-map", "0:s", "-f", "srt", "-"]).stdout
        #expect(cues.contains("HELLO CAPTIONS"))
        #expect(cues == reference)
        let report = try OutputVerifier.verify(path: output, summary: summary)
        #expect(report.streamKinds == ["video", "subtitle"])
    }

    @Test("av1d encode -v prints what happens to each stream")
    func verbosePrintsTheTable() throws {
        let scratch = try Scratch()
        let run = try Run(Binaries.av1d, ["encode", Fixtures.path("bluray.m2ts"), "-o", scratch.path("out.mkv"), "-v",
                                            "--preset", "12", "--crf", "40", "--progress", "none"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("stream 0 video h264: encode"))
        #expect(run.stdout.contains("stream 1 audio pcm_bluray: convert to flac (Matroska cannot hold pcm_bluray"))
    }
}
