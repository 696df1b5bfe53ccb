import Foundation
@testable import Bench
@testable import NativeEncode
import Testing
import LinuxSupport

@Suite("Bench report")
struct ReportTests {
    static func run(fps: Double, frames: Int = 240, bytes: Int64 = 1_000_000, rss: Int = 400 << 20) -> RunMeasurement {
        RunMeasurement(frames: frames, wallSeconds: Double(frames) / fps, cpuSeconds: Double(frames) / fps * 1.8,
                       cpuCount: 2, peakRSSBytes: rss, videoBytes: bytes)
    }

    static func result(preset: Int, fps: Double, ssim: Double = 0.97, withFFmpeg: Bool = false) -> PresetResult {
        let round = PresetRound(encoderAlone: run(fps: fps * 1.02), pipeline: run(fps: fps), pipelineProcess: run(fps: fps * 0.99),
                                ffmpeg: withFFmpeg ? run(fps: fps * 0.95, bytes: 1_005_000) : nil, concurrent: nil)
        return PresetResult(preset: preset, quality: QualityScores(psnrY: 40, ssimY: ssim), rounds: [round], frameRate: 25,
                            svtConfig: withFFmpeg ? ConfigComparison(ours: ["x"], ffmpeg: ["x"]) : nil)
    }

    static let job = BenchJob(input: "in.mp4", segment: Segment(start: 1.5, frames: 240), encoder: .svt, preset: 4,
                              crf: 30, keyframeInterval: 240, bitDepth: 10, threads: 2, cpus: nil)

    static func report(_ presets: [PresetResult], targetFPS: Double? = nil) -> BenchReport {
        BenchReport(input: "in.mp4", width: 1280, height: 720, frameRate: 25, job: job, cpus: CPUSet([0, 1]), roundCount: 1,
                    targetFPS: targetFPS, presets: presets)
    }

    @Test("medians take the run with the median wall time, and the median peak RSS of all runs")
    func medians() {
        let runs = [Self.run(fps: 10, rss: 300), Self.run(fps: 30, rss: 100), Self.run(fps: 20, rss: 500)]
        #expect(RunMeasurement.median(runs) == Self.run(fps: 20, rss: 300))
        #expect(RunMeasurement.median([Self.run(fps: 10), Self.run(fps: 20)]) == Self.run(fps: 20))
        #expect(RunMeasurement.median([]) == nil)
    }

    @Test("efficiency, speed and size against ffmpeg, bitrate")
    func ratios() throws {
        let result = Self.result(preset: 6, fps: 10, withFFmpeg: true)
        #expect(abs(result.pipelineEfficiency - 1 / 1.02) < 1e-9)
        #expect(abs(try #require(result.speedVsFFmpeg) - 0.99 / 0.95) < 1e-9)
        #expect(abs(try #require(result.videoSizeVsFFmpeg) - (1_000_000.0 / 1_005_000 - 1)) < 1e-9)
        // 1 MB over 240 frames at 25 fps (9.6 s).
        #expect(abs(result.bitrateKbps - 1_000_000 * 8 / 9.6 / 1000) < 1e-9)
    }

    @Test("ratios are medians of each round's own ratio, not ratios of medians")
    func pairedRatios() {
        // A slow spell in round 2 slows both runs of that round.
        let rounds = [(30.0, 29.0), (20.0, 19.8), (31.0, 27.0)].map { alone, pipeline in
            PresetRound(encoderAlone: Self.run(fps: alone), pipeline: Self.run(fps: pipeline), pipelineProcess: Self.run(fps: pipeline),
                        ffmpeg: nil, concurrent: nil)
        }
        let result = PresetResult(preset: 6, quality: QualityScores(psnrY: 40, ssimY: 0.98), rounds: rounds, frameRate: 25, svtConfig: nil)
        #expect(abs(result.pipelineEfficiency - 29.0 / 30.0) < 1e-9)
        #expect(result.encoderAlone.fps == 30 && result.pipeline.fps == 27)
    }

    @Test("the recommendation is the slowest preset that reaches the target")
    func recommendation() {
        let presets = [Self.result(preset: 4, fps: 2, ssim: 0.985), Self.result(preset: 6, fps: 5, ssim: 0.98),
                       Self.result(preset: 8, fps: 12, ssim: 0.97)]
        #expect(Self.report(presets, targetFPS: 4).recommendation
                == "preset 6 reaches your --target-fps 4: 5.0 fps, SSIM 0.9800, 833 kbit/s")
        #expect(Self.report(presets, targetFPS: 20).recommendation
                == "no preset measured reaches your --target-fps 20; the fastest, preset 8, gives 12.0 fps, SSIM 0.9700, 833 kbit/s")
        #expect(Self.report(presets).recommendation.hasPrefix("no preset measured reaches real time (25 fps)"))
    }

    @Test("JSON holds the settings, each preset's medians, ratios and rounds")
    func json() throws {
        let data = try Self.report([Self.result(preset: 6, fps: 10, withFFmpeg: true)]).json()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["crf"] as? Int == 30)
        #expect(object["cpus"] as? String == "0-1")
        #expect((object["segment"] as? [String: Any])?["frames"] as? Int == 240)
        let preset = try #require((object["presets"] as? [[String: Any]])?.first)
        for key in ["encoderAlone", "pipeline", "pipelineProcess", "ffmpeg", "pipelineEfficiency", "speedVsFFmpeg",
                    "videoSizeVsFFmpeg", "bitrateKbps", "quality", "svtConfig", "rounds"] {
            #expect(preset[key] != nil, "missing \(key)")
        }
        #expect((preset["pipeline"] as? [String: Any])?["fps"] as? Double == 10)
        #expect(try JSONDecoder().decode(BenchReport.self, from: data) == Self.report([Self.result(preset: 6, fps: 10, withFFmpeg: true)]))
    }

    @Test("CSV: a header and one row per preset, the same number of cells")
    func csv() {
        let lines = Self.report([Self.result(preset: 6, fps: 10, withFFmpeg: true), Self.result(preset: 8, fps: 20)])
            .csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(lines.count == 3)
        #expect(lines[0].first == "preset" && lines[0].contains("pipeline_efficiency") && lines[0].contains("speed_vs_ffmpeg"))
        #expect(lines.allSatisfy { $0.count == lines[0].count })
        #expect(lines[1][0] == "6" && lines[2][0] == "8")
        // No ffmpeg run for preset 8: its ffmpeg cells are empty.
        #expect(lines[2][lines[0].firstIndex(of: "ffmpeg_fps")!] == "")
    }
}
