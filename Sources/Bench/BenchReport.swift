import Foundation
import LinuxSupport
import NativeEncode

/// N copies of the pipeline at once, each on the CPU set placement gives it.
public struct ConcurrentRun: Sendable, Codable, Equatable {
    public var cpuSets: [CPUSet]
    /// Frames of all the jobs together.
    public var frames: Int
    /// From the common start to the last job's exit.
    public var wallSeconds: Double
    public var fps: Double

    public init(cpuSets: [CPUSet], frames: Int, wallSeconds: Double) {
        self.cpuSets = cpuSets
        self.frames = frames
        self.wallSeconds = wallSeconds
        fps = wallSeconds > 0 ? Double(frames) / wallSeconds : 0
    }
}

/// One preset's measurements in one round of the benchmark.
public struct PresetRound: Sendable, Codable, Equatable {
    public var encoderAlone: RunMeasurement
    /// Timed inside the process around the encode call.
    public var pipeline: RunMeasurement
    /// The same run seen from outside as a whole process (start-up and exit included), the way
    /// ffmpeg is measured.
    public var pipelineProcess: RunMeasurement
    public var ffmpeg: RunMeasurement?
    public var concurrent: ConcurrentRun?

    public init(encoderAlone: RunMeasurement, pipeline: RunMeasurement, pipelineProcess: RunMeasurement,
                ffmpeg: RunMeasurement?, concurrent: ConcurrentRun?) {
        self.encoderAlone = encoderAlone
        self.pipeline = pipeline
        self.pipelineProcess = pipelineProcess
        self.ffmpeg = ffmpeg
        self.concurrent = concurrent
    }
}

/// One preset's results: the median of its rounds, and the ratios the goals are stated in. Each
/// ratio is the median of the rounds' own ratios: the runs of one round are close in time, so a
/// slow spell of a shared machine weighs on both sides of a ratio.
public struct PresetResult: Sendable, Codable, Equatable {
    public var preset: Int
    public var quality: QualityScores
    public var encoderAlone: RunMeasurement
    public var pipeline: RunMeasurement
    public var pipelineProcess: RunMeasurement
    public var ffmpeg: RunMeasurement?
    public var concurrent: ConcurrentRun?
    /// Full pipeline fps over encoder-alone fps.
    public var pipelineEfficiency: Double
    /// Encoded video bitrate over the segment's duration.
    public var bitrateKbps: Double
    /// ffmpeg's wall time over ours, whole processes both (above 1: we are faster).
    public var speedVsFFmpeg: Double?
    /// Our encoded video size over ffmpeg's, minus one (0.01: 1% larger).
    public var videoSizeVsFFmpeg: Double?
    /// All concurrent jobs' fps over one job's on the whole machine.
    public var concurrentGain: Double?
    /// SVT-AV1's configuration lines of our pipeline and of ffmpeg (first round).
    public var svtConfig: ConfigComparison?
    public var rounds: [PresetRound]

    /// - Parameter rounds: at least one.
    public init(preset: Int, quality: QualityScores, rounds: [PresetRound], frameRate: Double, svtConfig: ConfigComparison?) {
        precondition(!rounds.isEmpty, "a preset result needs a round")
        self.preset = preset
        self.quality = quality
        self.rounds = rounds
        self.svtConfig = svtConfig
        encoderAlone = RunMeasurement.median(rounds.map(\.encoderAlone))!
        pipeline = RunMeasurement.median(rounds.map(\.pipeline))!
        pipelineProcess = RunMeasurement.median(rounds.map(\.pipelineProcess))!
        ffmpeg = RunMeasurement.median(rounds.compactMap(\.ffmpeg))
        concurrent = rounds.compactMap(\.concurrent).middle { $0.wallSeconds < $1.wallSeconds }
        pipelineEfficiency = rounds.map { Self.ratio($0.pipeline.fps, $0.encoderAlone.fps) }.middle(by: <)!
        let seconds = Double(pipeline.frames) / frameRate
        bitrateKbps = seconds > 0 ? Double(pipeline.videoBytes) * 8 / seconds / 1000 : 0
        speedVsFFmpeg = rounds.compactMap { round in round.ffmpeg.map { Self.ratio($0.wallSeconds, round.pipelineProcess.wallSeconds) } }
            .middle(by: <)
        videoSizeVsFFmpeg = ffmpeg.map { Self.ratio(Double(pipelineProcess.videoBytes), Double($0.videoBytes)) - 1 }
        concurrentGain = rounds.compactMap { round in round.concurrent.map { Self.ratio($0.fps, round.pipelineProcess.fps) } }
            .middle(by: <)
    }

    private static func ratio(_ numerator: Double, _ denominator: Double) -> Double {
        denominator > 0 ? numerator / denominator : 0
    }
}

/// Everything `av1d bench` measured, for the terminal, JSON and CSV.
public struct BenchReport: Sendable, Codable, Equatable {
    public var input: String
    public var width: Int
    public var height: Int
    public var frameRate: Double
    public var segment: Segment
    public var encoder: EncoderChoice
    public var crf: Int
    public var keyframeInterval: Int
    public var bitDepth: Int
    public var threads: Int
    public var cpus: CPUSet
    public var roundCount: Int
    public var targetFPS: Double?
    public var presets: [PresetResult]
    public var recommendation: String

    public init(input: String, width: Int, height: Int, frameRate: Double, job: BenchJob, cpus: CPUSet,
                roundCount: Int, targetFPS: Double?, presets: [PresetResult]) {
        self.input = input
        self.width = width
        self.height = height
        self.frameRate = frameRate
        segment = job.segment
        encoder = job.encoder
        crf = job.crf
        keyframeInterval = job.keyframeInterval
        bitDepth = job.bitDepth
        threads = job.threads
        self.cpus = cpus
        self.roundCount = roundCount
        self.targetFPS = targetFPS
        self.presets = presets
        recommendation = Self.recommend(presets, targetFPS: targetFPS, frameRate: frameRate)
    }

    /// The slowest preset (the best compression) whose full pipeline reaches the target speed:
    /// `--target-fps`, or real time (the source's frame rate) when none was given.
    static func recommend(_ presets: [PresetResult], targetFPS: Double?, frameRate: Double) -> String {
        let target = targetFPS ?? frameRate
        let goal = targetFPS.map { "your --target-fps \(Self.number($0))" } ?? "real time (\(Self.number(frameRate)) fps)"
        func outcome(_ result: PresetResult) -> String {
            "\(String(format: "%.1f", result.pipeline.fps)) fps, SSIM \(String(format: "%.4f", result.quality.ssimY)), "
                + "\(String(format: "%.0f", result.bitrateKbps)) kbit/s"
        }
        if let best = presets.filter({ $0.pipeline.fps >= target }).min(by: { $0.preset < $1.preset }) {
            return "preset \(best.preset) reaches \(goal): \(outcome(best))"
        }
        guard let fastest = presets.max(by: { $0.pipeline.fps < $1.pipeline.fps }) else { return "nothing was measured" }
        return "no preset measured reaches \(goal); the fastest, preset \(fastest.preset), gives \(outcome(fastest))"
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// One row per preset, medians; empty cells where a measurement was not made.
    public func csv() -> String {
        let header = ["preset", "frames", "encoder_fps", "pipeline_fps", "pipeline_efficiency", "cpu_utilisation",
                      "peak_rss_bytes", "video_bytes", "bitrate_kbps", "psnr_y", "ssim_y",
                      "process_fps", "ffmpeg_fps", "speed_vs_ffmpeg", "video_size_vs_ffmpeg", "ffmpeg_peak_rss_bytes",
                      "svt_config_identical", "jobs", "jobs_total_fps", "jobs_gain"]
        let rows = presets.map { result -> [String] in
            func cell(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "" }
            return [
                String(result.preset), String(result.pipeline.frames),
                cell(result.encoderAlone.fps, "%.3f"), cell(result.pipeline.fps, "%.3f"),
                cell(result.pipelineEfficiency, "%.4f"), cell(result.pipeline.cpuUtilisation, "%.3f"),
                String(result.pipelineProcess.peakRSSBytes), String(result.pipeline.videoBytes),
                cell(result.bitrateKbps, "%.1f"), cell(result.quality.psnrY, "%.3f"), cell(result.quality.ssimY, "%.5f"),
                cell(result.pipelineProcess.fps, "%.3f"), cell(result.ffmpeg?.fps, "%.3f"),
                cell(result.speedVsFFmpeg, "%.4f"), cell(result.videoSizeVsFFmpeg, "%.5f"),
                result.ffmpeg.map { String($0.peakRSSBytes) } ?? "",
                result.svtConfig.map { String($0.identical) } ?? "",
                result.concurrent.map { String($0.cpuSets.count) } ?? "",
                cell(result.concurrent?.fps, "%.3f"), cell(result.concurrentGain, "%.4f"),
            ]
        }
        return ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}
