import Foundation
@testable import NativeEncode
import Testing

@Suite("Sampling a title to predict its encode")
struct SamplePlanTests {
    @Test("samples by title length: count, whole mini-GOPs, spread, skipped ends", arguments: [
        // duration, frame rate, count, pictures per sample, first start at or after, last end at or before
        (42.24, 25.0, 2, 33, 0.0, 42.24),
        (120.0, 25.0, 7, 33, 0.0, 120.0),
        (1200.0, 25.0, 20, 65, 60.0, 1140.0),
        (7200.0, 24.0, 20, 65, 60.0, 7140.0),
    ])
    func shapes(duration: Double, rate: Double, count: Int, frames: Int, after: Double, before: Double) throws {
        let plan = try #require(SamplePlan(durationSeconds: duration, frameRate: rate, miniGOP: 16))
        #expect(plan.segments.count == count)
        #expect(plan.segments.allSatisfy { $0.frames == frames && ($0.frames - 1) % 16 == 0 })
        #expect(abs(plan.sampleSeconds - Double(frames) / rate * Double(count)) < 1e-9)
        #expect(plan.segments.first!.start >= after)
        #expect(plan.segments.last!.start + Double(frames) / rate <= before)
        // Spread: one sample in each equal share of the sampled stretch, none overlapping.
        let share = (before - after) / Double(count)
        for (index, segment) in plan.segments.enumerated() {
            #expect(segment.start >= after + share * Double(index)
                    && segment.start + Double(frames) / rate <= after + share * Double(index + 1) + 0.001)
        }
    }

    @Test("the samples cover at most 8% of a title, under 1% of a 2-hour film; shorter titles are not sampled")
    func cost() throws {
        for duration in [34.0, 42.24, 60, 300, 599, 600, 3600] {
            let plan = try #require(SamplePlan(durationSeconds: duration, frameRate: 25, miniGOP: 16))
            #expect(plan.sampleSeconds / duration <= SamplePlan.budget, "\(duration) s")
        }
        let film = try #require(SamplePlan(durationSeconds: 7200, frameRate: 24, miniGOP: 16))
        #expect(film.sampleSeconds / 7200 < 0.01)
        // Two samples of 33 pictures are 8% of 825 pictures: 33 s at 25 fps.
        #expect(abs(SamplePlan.shortestTitleSeconds(frameRate: 25, miniGOP: 16) - 33) < 1e-9)
        #expect(SamplePlan(durationSeconds: 32.9, frameRate: 25, miniGOP: 16) == nil)
        #expect(SamplePlan(durationSeconds: 33.1, frameRate: 25, miniGOP: 16)?.segments.count == 2)
        #expect(SamplePlan(durationSeconds: 5.312, frameRate: 25, miniGOP: 16) == nil)
        #expect(SamplePlan(durationSeconds: 100, frameRate: 0, miniGOP: 16) == nil)
    }

    @Test("spread samples lie at the golden ratio's multiples of their shares; the CRF search's are centred")
    func placement() throws {
        // 120 s at 25 fps: 7 samples of 33 pictures (1.32 s) in shares of 120/7 s.
        let share = 120.0 / 7, length = 1.32
        let spread = try #require(SamplePlan(durationSeconds: 120, frameRate: 25, miniGOP: 16))
        let centred = try #require(SamplePlan(durationSeconds: 120, frameRate: 25, miniGOP: 16, placement: .centred))
        for index in 0..<7 {
            let golden = (0.6180339887498949 * Double(index + 1)).truncatingRemainder(dividingBy: 1)
            #expect(abs(spread.segments[index].start - (share * Double(index) + (share - length) * golden)) < 0.001)
            #expect(abs(centred.segments[index].start - (share * Double(index) + (share - length) / 2)) < 0.001)
        }
    }

    @Test("keyframes extrapolate at the full encode's interval; other pictures at their mean, or by the source's bytes")
    func extrapolation() {
        var bytes = SampleBytes()
        bytes.keyframes = 2; bytes.keyframeBytes = 20_000
        bytes.otherFrames = 30; bytes.otherBytes = 30_000
        // 1000 frames, a keyframe every 250: 4 keyframes of 10 000 and 996 pictures of 1 000.
        #expect(bytes.extrapolated(toFrames: 1000, keyframeInterval: 250) == 4 * 10_000 + 996 * 1_000)
        #expect(bytes.extrapolated(toFrames: 1001, keyframeInterval: 250) == 5 * 10_000 + 996 * 1_000)
        // The samples' other pictures took half the source's bytes for them: the title's 996
        // other pictures take half of 996/1000 of the source's 2 000 000 video bytes.
        bytes.sourceOtherBytes = 60_000
        #expect(bytes.extrapolated(toFrames: 1000, keyframeInterval: 250, sourceVideoBytes: 2_000_000) == 4 * 10_000 + 996_000)
        #expect(bytes.extrapolated(toFrames: 1000, keyframeInterval: 250, sourceVideoBytes: nil) == 4 * 10_000 + 996 * 1_000)
        #expect(SampleBytes().extrapolated(toFrames: 100, keyframeInterval: 10, sourceVideoBytes: 1000) == 0)
        // Each of the source's scene cuts costs a keyframe more.
        #expect(bytes.extrapolated(toFrames: 1000, keyframeInterval: 250, sourceVideoBytes: 2_000_000, sceneCuts: 7)
                == 11 * 10_000 + 996_000)
    }

    @Test("scene cuts: keyframes off the source's regular short GOP and before an encoder's maximum distance", arguments: [
        // keyframe positions, frame rate, cuts
        ([0, 132, 264, 396, 528, 660, 792, 924], 25.0, 7),     // eight scenes of 5.28 s (x264's keyframes at cuts)
        (Array(stride(from: 0, to: 1056, by: 12)), 25.0, 0),   // MPEG-2, GOP 12: a structure, no cuts known
        ([0, 50, 100, 132, 182, 232, 264, 314], 25.0, 2),      // x264 -g 50: the GOP restarts at the cuts (132, 264)
        ([0, 250, 500, 750, 1000], 25.0, 0),                    // x264's maximum distance (10 s) alone
        ([0, 11, 23, 35, 47, 60], 25.0, 0),                     // an irregular first GOP of a GOP-12 source
        ([0], 25.0, 0), ([0, 100], 0.0, 0),
    ])
    func sceneCuts(keyframes: [Int], rate: Double, cuts: Int) {
        #expect(SceneCuts.count(keyframes: keyframes, frameRate: rate) == cuts)
    }

    @Test("the source's bytes for a segment are its pictures at and after the start, in display order")
    func sourcePictures() throws {
        let input = Fixtures.path("views-highrate.mkv")
        let segment = Segment(start: 10.02, frames: 33)
        let source = try SourcePictureBytes(path: input, segment: segment)
        let packets = try Probe.json(input, ["-select_streams", "v:0", "-show_entries", "packet=pts_time,size"])["packets"]
            as? [[String: Any]] ?? []
        let expected = packets.compactMap { packet -> (Double, Int64)? in
            guard let time = (packet["pts_time"] as? String).flatMap(Double.init),
                  let size = (packet["size"] as? String).flatMap(Int64.init), time >= segment.start else { return nil }
            return (time, size)
        }.sorted { $0.0 < $1.0 }.prefix(33).map(\.1)
        #expect(source.sizes.count == 33 && source.sizes == Array(expected))
        #expect(source.otherPictureBytes == expected.dropFirst().reduce(0, +))
    }

    @Test("a prediction on real media: two samples, the audio counted, nothing left behind; a short title is not sampled")
    func realMedia() throws {
        let scratch = try Scratch()
        var settings = EncodeSettings()
        settings.preset = 12
        settings.crf = 50
        let input = Fixtures.path("views-highrate.mkv")
        let predicted = try SamplePredictor(settings: settings).predict(input: input, scratch: scratch.path("out.mkv"))
        let prediction = try #require(predicted)
        #expect(prediction.samples == 2 && abs(prediction.sampleSeconds - 2 * 33 / 25.0) < 0.01)
        // Matroska declares no audio bit rate: the audio is counted packet by packet.
        let audio = try Probe.json(input, ["-select_streams", "a:0", "-show_entries", "packet=size"])["packets"]
            as? [[String: Any]] ?? []
        #expect(prediction.otherBytes == audio.compactMap { ($0["size"] as? String).flatMap(Int64.init) }.reduce(0, +))
        #expect(prediction.originalBytes == (try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int).map(Int64.init))
        #expect(prediction.videoBytes > 0 && prediction.ratio > 0 && prediction.ratio < 1)
        #expect((prediction.ssimY ?? 0) > 0.8 && (prediction.psnrY ?? 0) > 25)
        #expect(prediction.cpuSeconds > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
        // 15.8 s: two samples would be 17% of it.
        #expect(try SamplePredictor(settings: settings).predict(input: Fixtures.path("bbb720-loop.mp4"), scratch: scratch.path("out.mkv")) == nil)
    }
}

@Suite("The prediction against the full encode")
struct PredictionAccuracyTests {
    @Test("the fixtures' predicted size ratio is within 10% of the full encode's", arguments: [
        ("views-lean.mp4", 12, 16), ("views-lean.mp4", 12, 30), ("views-lean.mp4", 12, 50), ("views-lean.mp4", 8, 30),
        ("views-highrate.mkv", 12, 16), ("views-highrate.mkv", 12, 30), ("views-highrate.mkv", 12, 50), ("views-highrate.mkv", 8, 30),
    ])
    func withinTenPercent(fixture: String, preset: Int, crf: Int) throws {
        let scratch = try Scratch()
        var settings = EncodeSettings()
        settings.preset = preset
        settings.crf = crf
        let input = Fixtures.path(fixture)
        let prediction = try #require(try SamplePredictor(settings: settings).predict(input: input, scratch: scratch.path("out.mkv")))
        let summary = try Transcoder(settings: settings).encode(input: input, output: scratch.path("out.mkv"))
        let real = Double(summary.outputBytes) / Double(summary.inputBytes)
        let error = (prediction.ratio - real) / real
        #expect(abs(error) < 0.10, "\(fixture) preset \(preset) CRF \(crf): predicted \(prediction.ratio), real \(real)")
    }
}

@Suite("Watching a full encode's size")
struct SizeWatchTests {
    /// 1000 source pictures of 1000 bytes, 50 000 bytes of audio, an original of 1 050 000 bytes.
    let watch = SizeWatch(maxSizeRatio: 0.9, sourcePictures: Array(repeating: 1000, count: 1000), otherBytes: 50_000,
                          originalBytes: 1_050_000, keyframeInterval: 250, miniGOP: 16)!

    func progress(frames: Int, keyframeBytes: Int64, perOtherPicture: Int64) -> EncodeProgress {
        var video = EncodedVideoBytes()
        video.keyframes = (frames + 249) / 250
        video.keyframeBytes = keyframeBytes * Int64(video.keyframes)
        video.otherFrames = frames - video.keyframes
        video.otherBytes = perOtherPicture * Int64(video.otherFrames)
        return EncodeProgress(framesEncoded: frames, framesTotal: 1000, elapsedSeconds: 1, fps: 1, outputBytes: 0,
                              video: video, etaSeconds: nil)
    }

    @Test("the projection: what is encoded, the keyframes to come at their mean, the rest by the source's bytes")
    func projection() throws {
        #expect(watch.projection(after: progress(frames: 99, keyframeBytes: 20_000, perOtherPicture: 900)) == nil,
                "nothing is judged before a tenth of the title")
        // After 7 whole mini-GOPs: 1 keyframe + 112 pictures of 900, 3 keyframes to come, 884 of
        // the 887 pictures to come at 0.9 per source byte, the audio.
        let early = try #require(watch.projection(after: progress(frames: 113, keyframeBytes: 20_000, perOtherPicture: 900)))
        let encoded: Double = 20_000 + 112 * 900
        let toCome: Double = 3 * 20_000 + 0.9 * 887_000 * 884 / 887
        let projected = encoded + toCome + 50_000
        #expect(abs(early.share - 0.113) < 1e-12)
        #expect(abs(early.ratio - projected / 1_050_000) < 1e-12)
        let margin = SizeWatch.finalMargin + (SizeWatch.earliestMargin - SizeWatch.finalMargin) * 0.887 / 0.9
        #expect(abs(early.stopRatio - 0.9 * (1 + margin)) < 1e-12)
        #expect(abs(try #require(watch.projection(after: progress(frames: 100, keyframeBytes: 20_000, perOtherPicture: 900))).stopRatio
                    - 0.9 * (1 + SizeWatch.earliestMargin)) < 1e-12)
        // The margin shrinks with the share still to encode.
        let late = try #require(watch.projection(after: progress(frames: 1000, keyframeBytes: 20_000, perOtherPicture: 900)))
        #expect(abs(late.stopRatio - 0.9 * (1 + SizeWatch.finalMargin)) < 1e-12)
        let middle = try #require(watch.projection(after: progress(frames: 550, keyframeBytes: 20_000, perOtherPicture: 900)))
        #expect(middle.stopRatio < early.stopRatio && middle.stopRatio > late.stopRatio)
    }

    @Test("a title on course for more than the threshold and its margin is off course; one near it is not")
    func offCourse() throws {
        // 1 100 bytes per source byte's worth: about 1.1x of the original.
        let grows = try #require(watch.projection(after: progress(frames: 113, keyframeBytes: 20_000, perOtherPicture: 1_100)))
        #expect(grows.ratio > 1.05 && grows.isOffCourse)
        #expect(grows.reason(maxSizeRatio: 0.9) == String(format: "stopped at 11%%: on course for %.2fx of the original (threshold 0.90)", grows.ratio))
        let near = try #require(watch.projection(after: progress(frames: 113, keyframeBytes: 20_000, perOtherPicture: 880)))
        #expect(near.ratio > 0.9 && !near.isOffCourse, "above the threshold, within the early margin")
        #expect(SizeWatch(maxSizeRatio: 0.9, sourcePictures: [], otherBytes: 0, originalBytes: 1, keyframeInterval: 250, miniGOP: 16) == nil)
        // A source of a packet per field: 1000 packets, 500 frames. The 50 frames encoded are
        // 100 packets' worth of the source, not 50 (which would make the title look twice as costly).
        var fields = progress(frames: 50, keyframeBytes: 20_000, perOtherPicture: 1_800)
        fields.framesTotal = 500
        let byFields = try #require(watch.projection(after: fields))
        #expect(abs(byFields.share - 0.1) < 1e-12 && byFields.ratio < 1.0, "\(byFields)")
    }

    @Test("part-way through a mini-GOP, the source's bytes count to its end: its base picture is coded first")
    func miniGOPs() {
        // Keyframes every 250 pictures, mini-GOPs of 16 after each; the last before a keyframe is short.
        for (frames, end) in [(1, 1), (2, 17), (17, 17), (100, 113), (113, 113), (249, 250), (250, 250), (251, 251), (252, 267)] {
            #expect(watch.miniGOPEnd(after: frames) == end, "\(frames)")
        }
        // After 100 pictures the source is counted to 113, the end of the mini-GOP under way.
        let midway = watch.projection(after: progress(frames: 100, keyframeBytes: 20_000, perOtherPicture: 900))
        let whole = watch.projection(after: progress(frames: 113, keyframeBytes: 20_000, perOtherPicture: 900))
        #expect(midway!.ratio < whole!.ratio, "midway, the source's bytes are ahead of the pictures: the smaller projection")
    }

    @Test("the source's pictures are counted in display order, as ffprobe reads its packets", arguments: ["views-highrate.mkv", "bbb576-dvb.ts"])
    func sourcePictures(fixture: String) throws {
        let input = Fixtures.path(fixture)
        let streams = try SourceStreamBytes(path: input, durationSeconds: 1)
        let packets = try Probe.json(input, ["-select_streams", "v:0", "-show_entries", "packet=pts,size"])["packets"]
            as? [[String: Any]] ?? []
        let expected = packets.enumerated().map { (index, packet) in
            ((packet["pts"] as? Int) ?? Int(packet["pts"] as? String ?? "") ?? 0, index, Int64(packet["size"] as? String ?? "") ?? -1)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        #expect(expected.count > 100 && streams.pictures == expected)
        #expect(streams.video == expected.reduce(0, +))
    }
}
