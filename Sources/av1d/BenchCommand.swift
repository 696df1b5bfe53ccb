import ArgumentParser
import Bench
import Foundation
import NativeEncode
import Placement
import LinuxSupport

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure presets on a segment of a file: encoder alone, full pipeline, quality, ffmpeg.",
        discussion: """
            For each preset, in a fresh process each: the encoder alone on the segment decoded \
            into memory (the limit: no decode, no I/O), then the full pipeline from the file. \
            Pipeline efficiency is pipeline fps / encoder-alone fps, both timed inside their \
            process. PSNR-Y and SSIM-Y compare the encoded segment, decoded with libdav1d, with \
            the source frames (SSIM on 8x8 windows every 4 pixels, as ffmpeg's ssim filter). \
            --vs-ffmpeg compares whole processes, ours and `ffmpeg -c:v libsvtav1` with the same \
            settings, and checks SVT-AV1's configuration lines of both runs are identical.
            """)

    @Argument(help: "The media file to measure on.")
    var input: String

    @Option(help: "Comma-separated SVT presets (default: 4,6,8,10).", transform: BenchCommand.presetList)
    var presets = [4, 6, 8, 10]

    @Option(help: "Constant rate factor (default: the quality table's for the picture height).")
    var crf: Int?

    @Option(help: "Frames in the segment (default: 240).")
    var frames: Int?

    @Option(help: "Segment length in seconds, instead of --frames.")
    var seconds: Double?

    @Option(help: "Segment start in seconds (default: 10% into the file).")
    var start: Double?

    @Option(help: "The encoder library.")
    var encoder: BenchEncoder = .svt

    @Option(name: .customLong("bit-depth"), help: "Output bit depth: 8 or 10.")
    var bitDepth = 10

    @Option(name: .customLong("keyint"), help: "Frames between keyframes (default: about 10 seconds).")
    var keyframeInterval: Int?

    @Option(help: "Run everything on these CPUs only, e.g. 0-7.")
    var cpus: String?

    @Option(help: "Encoder thread budget (default: one per CPU).")
    var threads: Int?

    @Option(help: "Also run N pipelines at once on the CPU sets placement gives them.")
    var jobs = 1

    @Option(name: .customLong("repeat"), help: "Rounds, interleaved; medians are reported.")
    var rounds = 1

    @Flag(name: .customLong("vs-ffmpeg"), help: "Also run `ffmpeg -c:v libsvtav1` with the same settings.")
    var versusFFmpeg = false

    @Option(name: .customLong("target-fps"), help: "The speed the recommendation aims for (default: real time).")
    var targetFPS: Double?

    @OptionGroup(title: "CRF search (shows the search instead of measuring presets)")
    var quality: QualityTargetOptions

    @Option(help: ArgumentHelp("Write the results (or the CRF search) as JSON to FILE.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp("Write the results as CSV to FILE.", valueName: "FILE"))
    var csv: String?

    /// Set when `av1d bench` runs itself to make one measurement in a fresh process.
    @Option(help: .hidden)
    var measure: BenchMeasurement?

    /// Where that measurement writes its result (JSON).
    @Option(help: .hidden)
    var result: String?

    static func presetList(_ text: String) throws -> [Int] {
        let presets = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !presets.isEmpty, presets.count == text.split(separator: ",").count, presets.allSatisfy((-1...13).contains) else {
            throw ValidationError("--presets must be a comma-separated list of presets -1 to 13, like 4,6,8,10")
        }
        return presets
    }

    func validate() throws {
        if frames != nil && seconds != nil { throw ValidationError("give --frames or --seconds, not both") }
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1") }
        if let seconds, seconds <= 0 { throw ValidationError("--seconds must be positive") }
        if let start, start < 0 { throw ValidationError("--start must not be negative") }
        if ![8, 10].contains(bitDepth) { throw ValidationError("--bit-depth must be 8 or 10") }
        if let crf, !(1...63).contains(crf) { throw ValidationError("--crf must be between 1 and 63") }
        if let keyframeInterval, keyframeInterval < 1 { throw ValidationError("--keyint must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let cpus, CPUSet(list: cpus) == nil { throw ValidationError("--cpus must be a CPU list like 0-7,16-23") }
        if jobs < 1 || rounds < 1 { throw ValidationError("--jobs and --repeat must be at least 1") }
        if let targetFPS, targetFPS <= 0 { throw ValidationError("--target-fps must be positive") }
        if measure != nil && (result == nil || presets.count != 1 || start == nil || frames == nil || crf == nil
                              || keyframeInterval == nil || threads == nil) {
            throw ValidationError("--measure needs --result, one preset, and every setting explicit")
        }
    }

    func run() throws {
        if let measure { return try runMeasurement(measure) }
        do {
            if let target = quality.target { return try runSearch(target) }
            try runBenchmark()
        } catch {
            Terminal.error("\(input): \(error)")
            throw ExitCode(1)
        }
    }

    // MARK: The benchmark

    private func runBenchmark() throws {
        // Children (ours and ffmpeg) inherit this process's CPUs.
        if let cpus = cpus.flatMap(CPUSet.init(list:)) { try CPUAffinity.confineProcess(to: cpus) }
        let source = try MediaProbe.inspect(path: input)
        guard source.videoIndex != nil else { throw EncodeError.nothingToDo(.noVideoStream) }
        let machine = CPUAffinity.current()
        let segment = SegmentRequest(start: start, frames: frames, seconds: seconds)
            .resolve(durationSeconds: source.durationSeconds, frameRate: source.frameRate)
        let template = BenchJob(
            input: input, segment: segment, encoder: encoder.choice, preset: presets[0],
            crf: crf ?? QualityTable.crf(height: source.height),
            keyframeInterval: keyframeInterval ?? EncodeSettings.defaultKeyframeInterval(framesPerSecond: source.frameRate),
            bitDepth: bitDepth, threads: threads ?? machine.count, cpus: nil)
        let concurrentSets = jobs > 1 ? PlacementPlanner(topology: try Topology.read()).plan(jobs: jobs) : []
        if jobs > 1 && concurrentSets.count < jobs {
            Terminal.write("note: placement has CPUs for \(concurrentSets.count) jobs at once, not \(jobs)\n")
        }
        let session = try BenchSession(template: template, machine: machine, ffmpeg: ffmpegToCompare(),
                                       concurrentSets: concurrentSets)
        Terminal.write("""
            av1d bench \(input): \(source.width)x\(source.height) \(String(format: "%.4g", source.frameRate)) fps, \
            \(segment.frames) frames from \(String(format: "%.3f", segment.start)) s, \(template.encoder.rawValue) CRF \(template.crf) \
            keyint \(template.keyframeInterval) \(bitDepth)-bit, \(template.threads) threads on CPUs \(machine), \
            \(rounds) round\(rounds == 1 ? "" : "s")\n
            """)

        // Interleaved rounds: a slow spell of a shared machine spreads over every preset and tool.
        var measurements: [Int: [BenchSession.Measured]] = [:]
        for round in 1...rounds {
            for preset in presets {
                Terminal.write("preset \(preset), round \(round)/\(rounds):")
                measurements[preset, default: []].append(try session.measure(preset: preset))
            }
        }
        let results = presets.map { preset in
            let measured = measurements[preset]!
            return PresetResult(preset: preset, quality: measured[0].quality, rounds: measured.map(\.round),
                                frameRate: source.frameRate, svtConfig: measured[0].config)
        }
        let report = BenchReport(input: input, width: source.width, height: source.height, frameRate: source.frameRate,
                                 job: template, cpus: machine, roundCount: rounds, targetFPS: targetFPS, presets: results)
        print(BenchTable(report).text)
        if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
        if let csv { try Data(report.csv().utf8).write(to: URL(fileURLWithPath: csv)) }
    }

    // MARK: The CRF search

    /// The daemon's CRF search on the prediction's samples, step by step, at the first preset.
    private func runSearch(_ target: QualityTarget) throws {
        if let cpus = cpus.flatMap(CPUSet.init(list:)) { try CPUAffinity.confineProcess(to: cpus) }
        var settings = EncodeSettings()
        settings.encoder = encoder.choice
        settings.preset = presets[0]
        settings.crf = crf
        settings.bitDepth = bitDepth
        settings.keyframeInterval = keyframeInterval
        settings.threads = threads
        quality.apply(to: &settings)
        Terminal.write("av1d bench \(input): CRF search for \(target) at preset \(presets[0]), \(bitDepth)-bit\n")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-bench-search-\(UUID().uuidString).mkv").path
        let display = ProgressDisplay(style: Terminal.isInteractive ? .bar : .none, file: input)
        let outcome = try CRFSearch(settings: settings, target: target)
            .run(input: input, scratch: scratch, observer: display.searchObserver)
        display.finish()
        switch outcome {
        case .searched(let report, _):
            print(report.table)
            if let json { try JSONEncoder.av1dPretty.encode(report).write(to: URL(fileURLWithPath: json)) }
        case .tooShort:
            Terminal.write("too short to sample: no search\n")
        case .unscorable(let why):
            Terminal.write("no search: \(why)\n")
        }
    }

    /// The ffmpeg to compare with, when asked for and possible.
    private func ffmpegToCompare() -> String? {
        guard versusFFmpeg else { return nil }
        guard encoder == .svt else {
            Terminal.write("note: --vs-ffmpeg compares SVT-AV1 only; skipped for --encoder \(encoder.rawValue)\n")
            return nil
        }
        guard let ffmpeg = FFmpegReference.locate() else {
            Terminal.write("note: no ffmpeg on PATH; --vs-ffmpeg skipped\n")
            return nil
        }
        return ffmpeg
    }

    // MARK: One measurement, in a child process

    private func runMeasurement(_ kind: BenchMeasurement) throws {
        let job = BenchJob(input: input, segment: Segment(start: start!, frames: frames!), encoder: encoder.choice,
                           preset: presets[0], crf: crf!, keyframeInterval: keyframeInterval!, bitDepth: bitDepth,
                           threads: threads!, cpus: cpus.flatMap(CPUSet.init(list:)))
        // The encoder alone runs under the engine's malloc policy too, so the ratio compares like with like.
        MallocPolicy.returnLargeBlocksWhenFreed()
        let encoded: Data
        do {
            switch kind {
            case .encoder: encoded = try JSONEncoder().encode(BenchRun.encoderAlone(job))
            case .pipeline: encoded = try JSONEncoder().encode(BenchRun.pipeline(job, output: kind.outputPath(result: result!)))
            }
        } catch {
            Terminal.error("\(input): \(error)")
            throw ExitCode(1)
        }
        try encoded.write(to: URL(fileURLWithPath: result!))
    }
}

/// The encoders bench measures; the automatic choice would hide which one ran.
enum BenchEncoder: String, ExpressibleByArgument, CaseIterable {
    case svt, aom

    var choice: EncoderChoice { self == .svt ? .svt : .aom }
}

/// The measurements `av1d bench` makes in child processes of itself.
enum BenchMeasurement: String, ExpressibleByArgument {
    case encoder, pipeline

    /// Where the pipeline measurement writes its Matroska output, beside its result.
    func outputPath(result: String) -> String {
        URL(fileURLWithPath: result).deletingPathExtension().appendingPathExtension("mkv").path
    }
}

/// Runs the measurements of one benchmark: each in a fresh process (ours: this program again),
/// so that peak memory and CPU time belong to it alone. Output goes to a scratch folder.
struct BenchSession: ~Copyable {
    let template: BenchJob
    let machine: CPUSet
    let ffmpeg: String?
    let concurrentSets: [CPUSet]
    private let folder: URL

    init(template: BenchJob, machine: CPUSet, ffmpeg: String?, concurrentSets: [CPUSet]) throws {
        self.template = template
        self.machine = machine
        self.ffmpeg = ffmpeg
        self.concurrentSets = concurrentSets
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    struct Measured {
        var round: PresetRound
        var quality: QualityScores
        var config: ConfigComparison?
    }

    /// One round of one preset: encoder alone, pipeline, then ffmpeg and concurrent jobs if asked.
    func measure(preset: Int) throws -> Measured {
        var job = template
        job.preset = preset
        Terminal.write(" encoder alone ")
        let alone: EncoderAloneResult = try decoded(run([job], .encoder, name: "encoder")[0].result)
        Terminal.write("\(Self.fps(alone.run.fps)), pipeline ")
        let pipelineRun = try run([job], .pipeline, name: "pipeline")[0]
        let pipeline: RunMeasurement = try decoded(pipelineRun.result)
        let process = RunMeasurement(pipelineRun.outcome, output: try VideoStreamSize(path: pipelineRun.output),
                                     cpuCount: machine.count)
        Terminal.write("\(Self.fps(pipeline.fps)) (efficiency \(String(format: "%.3f", pipeline.fps / alone.run.fps)))")
        let versus = try ffmpeg.map { try measureFFmpeg($0, job: job, ourLog: pipelineRun.log) }
        let concurrent = concurrentSets.isEmpty ? nil : try measureConcurrent(job)
        Terminal.write("\n")
        return Measured(round: PresetRound(encoderAlone: alone.run, pipeline: pipeline, pipelineProcess: process,
                                           ffmpeg: versus?.run, concurrent: concurrent),
                        quality: alone.quality, config: versus?.config)
    }

    /// ffmpeg on the same job, measured from outside like our pipeline's process, and SVT-AV1's
    /// configuration lines of both runs.
    private func measureFFmpeg(_ ffmpeg: String, job: BenchJob, ourLog: String) throws -> (run: RunMeasurement, config: ConfigComparison) {
        Terminal.write(", ffmpeg ")
        let output = folder.appendingPathComponent("ffmpeg.mkv").path, log = folder.appendingPathComponent("ffmpeg.log").path
        let outcome = try ChildProcesses.run([ChildCommand(executable: ffmpeg, arguments: FFmpegReference.arguments(for: job, output: output),
                                                           environment: Self.svtConfigLogging, standardError: log)])[0]
        try Self.check(outcome, "ffmpeg", log: log)
        let run = RunMeasurement(outcome, output: try VideoStreamSize(path: output), cpuCount: machine.count)
        Terminal.write(Self.fps(run.fps))
        return (run, ConfigComparison(ours: SVTConfigLines.extract(fromLog: try String(contentsOfFile: ourLog, encoding: .utf8)),
                                      ffmpeg: SVTConfigLines.extract(fromLog: try String(contentsOfFile: log, encoding: .utf8))))
    }

    /// One pipeline per placement CPU set, all at once, each with a thread per CPU of its set.
    private func measureConcurrent(_ job: BenchJob) throws -> ConcurrentRun {
        Terminal.write(", \(concurrentSets.count) jobs at once ")
        let jobs = concurrentSets.map { set in
            var placed = job
            placed.cpus = set
            placed.threads = set.count
            return placed
        }
        let runs = try run(jobs, .pipeline, name: "concurrent")
        let frames = try runs.map { (try decoded($0.result) as RunMeasurement).frames }.reduce(0, +)
        let concurrent = ConcurrentRun(cpuSets: concurrentSets, frames: frames, wallSeconds: runs.map(\.outcome.wallSeconds).max() ?? 0)
        Terminal.write(Self.fps(concurrent.fps))
        return concurrent
    }

    /// SVT-AV1 prints its configuration at log level 3: the lines compared with ffmpeg's.
    private static let svtConfigLogging = ["SVT_LOG": "3"]

    /// A finished measurement process and its files.
    private struct ChildRun {
        var outcome: ChildOutcome
        var result: String
        var output: String
        var log: String
    }

    /// Runs `av1d bench --measure` for each job at once; all must succeed.
    private func run(_ jobs: [BenchJob], _ kind: BenchMeasurement, name: String) throws -> [ChildRun] {
        let results = jobs.indices.map { folder.appendingPathComponent("\(name)-\($0).json").path }
        let logs = jobs.indices.map { folder.appendingPathComponent("\(name)-\($0).log").path }
        let commands = jobs.indices.map { index in
            ChildCommand(executable: SelfExecutable.path, arguments: Self.arguments(jobs[index], kind, result: results[index]),
                         environment: Self.svtConfigLogging, standardError: logs[index])
        }
        return try ChildProcesses.run(commands).enumerated().map { index, outcome in
            try Self.check(outcome, "the \(kind.rawValue) measurement", log: logs[index])
            return ChildRun(outcome: outcome, result: results[index], output: kind.outputPath(result: results[index]), log: logs[index])
        }
    }

    /// The command line of one measurement: every setting explicit.
    static func arguments(_ job: BenchJob, _ kind: BenchMeasurement, result: String) -> [String] {
        ["bench", job.input, "--presets", String(job.preset), "--crf", String(job.crf),
         "--keyint", String(job.keyframeInterval), "--start", String(job.segment.start),
         "--frames", String(job.segment.frames), "--encoder", job.encoder.rawValue, "--bit-depth", String(job.bitDepth),
         "--threads", String(job.threads), "--measure", kind.rawValue, "--result", result]
            + (job.cpus.map { ["--cpus", $0.description] } ?? [])
    }

    private static func check(_ outcome: ChildOutcome, _ what: String, log: String) throws {
        guard !outcome.succeeded else { return }
        let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5).joined(separator: "\n")
        let how = outcome.exitStatus.map { "exit status \($0)" } ?? "killed by a signal"
        throw BenchFailure(message: "\(what) failed (\(how)):\n\(tail)")
    }

    private func decoded<Value: Decodable>(_ path: String) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private static func fps(_ value: Double) -> String { String(format: "%.2f fps", value) }
}

struct BenchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The benchmark's results as the terminal shows them.
struct BenchTable {
    let report: BenchReport

    init(_ report: BenchReport) { self.report = report }

    var text: String {
        let frames = report.presets.first?.pipeline.frames ?? report.segment.frames
        var lines = [
            "", "\(frames) frames from \(String(format: "%.3f", report.segment.start)) s, medians of \(report.roundCount) "
                + "round\(report.roundCount == 1 ? "" : "s") (ratios: the median of each round's own ratio):",
            "preset  encoder fps  pipeline fps  efficiency   CPU    peak RSS       video   kbit/s  PSNR-Y  SSIM-Y",
        ]
        for result in report.presets {
            lines.append(String(format: "%6d  %11.2f  %12.2f  %10.3f  %3.0f%%  %10@  %10@  %7.0f  %6.2f  %6.4f",
                                result.preset, result.encoderAlone.fps, result.pipeline.fps, result.pipelineEfficiency,
                                result.pipeline.cpuUtilisation * 100, Format.bytes(Int64(result.pipelineProcess.peakRSSBytes)),
                                Format.bytes(result.pipeline.videoBytes), result.bitrateKbps, result.quality.psnrY,
                                result.quality.ssimY))
        }
        let compared = report.presets.filter { $0.ffmpeg != nil }
        if !compared.isEmpty {
            lines += ["", "vs ffmpeg -c:v libsvtav1, whole processes, same settings:",
                      "preset   av1d fps  ffmpeg fps     speed  video size  peak RSS av1d / ffmpeg  SVT config"]
            for result in compared {
                let ffmpeg = result.ffmpeg!
                lines.append(String(format: "%6d  %9.2f  %10.2f  %7.3fx  %+9.2f%%  %10@ / %-10@  %@",
                                    result.preset, result.pipelineProcess.fps, ffmpeg.fps, result.speedVsFFmpeg ?? 0,
                                    (result.videoSizeVsFFmpeg ?? 0) * 100, Format.bytes(Int64(result.pipelineProcess.peakRSSBytes)),
                                    Format.bytes(Int64(ffmpeg.peakRSSBytes)), result.svtConfig?.identical == true ? "identical" : "DIFFERENT"))
            }
            for result in compared where result.svtConfig?.identical != true {
                lines += ["SVT-AV1 configuration, preset \(result.preset), ours:"] + (result.svtConfig?.ours ?? []).map { "  \($0)" }
                lines += ["ffmpeg's:"] + (result.svtConfig?.ffmpeg ?? []).map { "  \($0)" }
            }
        }
        let concurrent = report.presets.filter { $0.concurrent != nil }
        if let sets = concurrent.first?.concurrent?.cpuSets {
            lines += ["", "\(sets.count) jobs at once on CPUs \(sets.map(\.description).joined(separator: " | ")):",
                      "preset  1 job fps  \(sets.count) jobs fps    gain"]
            for result in concurrent {
                lines.append(String(format: "%6d  %9.2f  %10.2f  %6.3fx", result.preset, result.pipelineProcess.fps,
                                    result.concurrent!.fps, result.concurrentGain ?? 0))
            }
        }
        lines += ["", report.recommendation]
        return lines.joined(separator: "\n")
    }
}
