import Foundation
@testable import NativeEncode
import Testing

@Suite("Sampling a title to predict its encode")
struct SamplePlanTests {
    @Test("samples by title length: count, length, spread, skipped ends", arguments: [
        // duration, count, seconds per sample, first start at or after, last end at or before
        (5.312, 2, 0.68, 0.0, 5.312),
        (120.0, 4, 2.0, 0.0, 120.0),
        (1200.0, 5, 3.0, 60.0, 1140.0),
        (7200.0, 6, 4.0, 60.0, 7140.0),
    ])
    func shapes(duration: Double, count: Int, seconds: Double, after: Double, before: Double) throws {
        let plan = try #require(SamplePlan(durationSeconds: duration, frameRate: 25))
        #expect(plan.segments.count == count)
        #expect(plan.segments.allSatisfy { abs(Double($0.frames) / 25 - seconds) < 0.021 })
        #expect(abs(plan.sampleSeconds - Double(plan.segments[0].frames) / 25 * Double(count)) < 1e-9)
        #expect(plan.segments.first!.start >= after)
        #expect(plan.segments.last!.start + Double(plan.segments.last!.frames) / 25 <= before)
        // Spread: one sample in each equal share of the sampled stretch, none overlapping.
        let share = (before - after) / Double(count)
        for (index, segment) in plan.segments.enumerated() {
            #expect(segment.start >= after + share * Double(index) && segment.start < after + share * Double(index + 1))
        }
    }

    @Test("a 2-hour film samples well under 1% of itself; titles under 3 s are not sampled")
    func cost() throws {
        let film = try #require(SamplePlan(durationSeconds: 7200, frameRate: 24))
        #expect(film.sampleSeconds / 7200 < 0.01)
        #expect(SamplePlan(durationSeconds: 2.9, frameRate: 25) == nil)
        #expect(SamplePlan(durationSeconds: 10, frameRate: 0) == nil)
    }

    @Test("a sample moves back onto the keyframe before it only when that stays in its own share")
    func keyframes() throws {
        // Keyframes every 10 s.
        let plan = try #require(SamplePlan(durationSeconds: 1200, frameRate: 25) { ($0 / 10).rounded(.down) * 10 })
        let plain = try #require(SamplePlan(durationSeconds: 1200, frameRate: 25))
        for (snapped, wanted) in zip(plan.segments, plain.segments) {
            #expect(snapped.start.truncatingRemainder(dividingBy: 10) == 0 && snapped.start <= wanted.start && wanted.start - snapped.start < 10)
        }
        // Only one keyframe, at the start: the first sample (whose share starts there) moves onto
        // it; the others would leave their shares and stay where they were.
        let sparse = try #require(SamplePlan(durationSeconds: 120, frameRate: 25) { _ in 0 })
        let unsnapped = try #require(SamplePlan(durationSeconds: 120, frameRate: 25))
        #expect(sparse.segments.first?.start == 0 && unsnapped.segments.first!.start > 0)
        #expect(sparse.segments.dropFirst() == unsnapped.segments.dropFirst())
    }

    @Test("sample bytes extrapolate keyframes at the full encode's interval, other pictures at their mean")
    func extrapolation() {
        var bytes = SampleBytes()
        bytes.keyframes = 2; bytes.keyframeBytes = 20_000
        bytes.otherFrames = 30; bytes.otherBytes = 30_000
        // 1000 frames, a keyframe every 250: 4 keyframes of 10 000 and 996 pictures of 1 000.
        #expect(bytes.extrapolated(toFrames: 1000, keyframeInterval: 250) == 4 * 10_000 + 996 * 1_000)
        #expect(bytes.extrapolated(toFrames: 1001, keyframeInterval: 250) == 5 * 10_000 + 996 * 1_000)
        #expect(SampleBytes().extrapolated(toFrames: 100, keyframeInterval: 10) == 0)
    }

    @Test("a prediction on real media: two samples, the audio from its declared rate, nothing left behind")
    func realMedia() throws {
        let scratch = try Scratch()
        var settings = EncodeSettings()
        settings.preset = 12
        settings.crf = 50
        let input = Fixtures.path("bbb720-loop.mp4")
        let predicted = try SamplePredictor(settings: settings).predict(input: input, scratch: scratch.path("out.mkv"))
        let prediction = try #require(predicted)
        #expect(prediction.samples == 2 && abs(prediction.sampleSeconds - 4) < 0.05)
        let audio = try #require(try Probe.streams(input).first { $0["codec_type"] as? String == "audio" })
        let rateText = try #require(audio["bit_rate"] as? String)
        let rate = try #require(Double(rateText))
        let format = try Probe.format(input)["format"] as? [String: Any]
        let durationText = try #require(format?["duration"] as? String)
        let duration = try #require(Double(durationText))
        #expect(abs(Double(prediction.otherBytes) - rate * duration / 8) < 1000)
        #expect(prediction.originalBytes == (try FileManager.default.attributesOfItem(atPath: input)[.size] as? Int).map(Int64.init))
        #expect(prediction.videoBytes > 0 && prediction.ratio > 0 && prediction.ratio < 1)
        #expect((prediction.ssimY ?? 0) > 0.8 && (prediction.psnrY ?? 0) > 25)
        #expect(prediction.cpuSeconds > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }
}
