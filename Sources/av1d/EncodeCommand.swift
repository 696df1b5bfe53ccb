import ArgumentParser
import AV1Daemon
import Dispatch
import Foundation
import NativeEncode
import LinuxSupport

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode one file to AV1 Matroska.",
        discussion: """
            Exit status: 0 encoded (or predicted), 1 failed, 3 nothing to do (already AV1 or no video stream).
            --predict encodes only the samples the daemon's prediction uses and prints what they \
            predict (size ratio, SSIM-Y, PSNR-Y, CPU time); nothing else is written.
            --quality-target-ssim/--quality-target-psnr search the CRF on those samples first: the \
            highest CRF in --crf-min..--crf-max whose samples reach the target is used; when none \
            does, nothing is encoded (exit status 3).
            Defaults follow the tuning guide: CRF 21/22/23/24 and SVT preset 3/4/4/5 for \
            2160/1440/1080/smaller, one preset slower with --quality-tier very_high; 10-bit output.
            The summary ends with what the daemon would do with the output at its default \
            max_size_ratio (0.90): replace the original, or keep it.
            """)

    @OptionGroup var options: EncodeOptions

    @Option(help: "Progress display: bar, json or none (default: bar on a terminal, else none).")
    var progress: ProgressStyle?

    @Flag(help: "Predict the encode from a few short samples instead of encoding the whole file.")
    var predict = false

    @Option(name: .customLong("resume-folder"),
            help: "Keep finished chunks of a chunked encode in DIR; run again with the same DIR to continue where it stopped.")
    var resumeFolder: String?

    func run() throws {
        let input = options.input
        let display = ProgressDisplay(style: progress ?? (Terminal.isInteractive ? .bar : .none), file: input)
        let stop = StopFlag()
        let signals = SignalWatch(stop: stop)
        defer { signals.cancel() }
        do throws(EncodeError) {
            var settings = options.settings
            if let target = settings.qualityTarget {
                let search = CRFSearch(settings: settings, target: target)
                let outcome = try search.run(input: input, scratch: options.destination, observer: display.searchObserver, stop: stop)
                display.finish()
                switch outcome {
                case .tooShort:
                    Terminal.write("note: too short to sample, no CRF search: CRF \(settings.crf.map(String.init) ?? "from the quality table")\n")
                case .unscorable(let why):
                    Terminal.write("note: no CRF search (\(why)): CRF \(settings.crf.map(String.init) ?? "from the quality table")\n")
                case .searched(let report, let prediction):
                    print("\(input)\n" + report.table)
                    guard let crf = report.chosenCRF else { throw .nothingToDo(.qualityTargetUnreachable(report.summary)) }
                    if predict { return print(prediction.report) }
                    settings.crf = crf
                }
            }
            if predict {
                let prediction = try SamplePredictor(settings: settings)
                    .predict(input: input, scratch: options.destination, stop: stop)
                display.finish()
                return print("\(input)\n" + (prediction?.report ?? "  too short to predict (\(SamplePlan.fewestSamples) samples would cover over \(Int(SamplePlan.budget * 100))% of it)"))
            }
            let summary = try Transcoder(settings: settings)
                .encode(input: input, output: options.destination, overwrite: options.overwrite,
                        observer: display.observer, stop: stop, chunkFolder: resumeFolder)
            display.finish()
            do throws(EncodeError) {
                _ = try OutputVerifier.verify(path: summary.output, summary: summary)
            } catch {
                // An output that does not hold the whole source is not left behind to be mistaken for it.
                unlink(summary.output)
                throw error
            }
            print(summary.report)
            if options.verbose { print("  streams:\n" + summary.streams.map { "    \($0.line)" }.joined(separator: "\n")) }
        } catch {
            display.finish()
            switch error {
            case .nothingToDo(let reason):
                Terminal.error("\(input): nothing to do: \(EncodeError.nothingToDo(reason))")
                throw ExitCode(3)
            default:
                Terminal.error("\(input): \(error)")
                throw ExitCode(1)
            }
        }
    }

}

/// The encode options `av1d encode` and `av1d worker encode` share.
struct EncodeOptions: ParsableArguments {
    @Argument(help: "The media file to encode.")
    var input: String

    @Option(name: .shortAndLong, help: "Output file (default: <dir>/<stem>.av1.mkv beside the input).")
    var output: String?

    @Flag(help: "Replace OUTPUT if it exists (never the input).")
    var overwrite = false

    @Option(help: "SVT-AV1 preset 0 (slowest) to 13 (fastest); default from the quality table.")
    var preset: Int?

    @Option(help: "Constant rate factor 1-63; default from the quality table.")
    var crf: Int?

    @Option(help: "svt, aom or auto (SVT-AV1 unless the picture size needs libaom).")
    var encoder: EncoderChoice = .auto

    @Option(name: .customLong("bit-depth"), help: "Output bit depth: 8 or 10.")
    var bitDepth = 10

    @Option(name: .customLong("film-grain"), help: "Film-grain synthesis strength 0-50.")
    var filmGrain = 0

    @Option(help: "auto: deinterlace pictures flagged interlaced (bwdif); off: keep them, flag the field order.")
    var deinterlace: Deinterlace = .auto

    @Option(help: "Encoder thread budget (default: one per CPU the job may use).")
    var threads: Int?

    @Option(help: "Run the whole job on these CPUs only, e.g. 0-7,16-23.")
    var cpus: String?

    @Option(name: .customLong("keyint"), help: "Frames between keyframes (default: about 10 seconds).")
    var keyframeInterval: Int?

    @Option(name: .customLong("quality-tier"), help: "high or very_high (one SVT preset slower).")
    var qualityTier: QualityTier = .veryHigh

    @Option(help: "Split the title into chunks encoded side by side: auto (the default: titles of 30 s or more, one worker per L3 cache of the CPUs; on one cache only with --resume-folder), off, or a worker count.")
    var chunks: ChunkMode = .auto

    @OptionGroup var quality: QualityTargetOptions

    @Flag(name: .shortAndLong, help: "Also show the libraries' own logs (SVT-AV1's configuration included) and what happened to each stream.")
    var verbose = false

    func validate() throws {
        if let problem = settings.problem() {
            let option = switch problem.field {
            case .preset: "--preset"
            case .crf: "--crf"
            case .bitDepth: "--bit-depth"
            case .filmGrain: "--film-grain"
            case .threads: "--threads"
            case .keyframeInterval: "--keyint"
            case .qualityTarget, .crfMin, .crfMax: quality.option(for: problem.field)!
            }
            throw ValidationError("\(option) \(problem.message)")
        }
        if let cpus, CPUSet(list: cpus) == nil { throw ValidationError("--cpus must be a CPU list like 0-7,16-23") }
    }

    var settings: EncodeSettings {
        var settings = EncodeSettings()
        settings.encoder = encoder
        settings.preset = preset
        settings.crf = crf
        quality.apply(to: &settings)
        settings.qualityTier = qualityTier
        settings.bitDepth = bitDepth
        settings.filmGrain = filmGrain
        settings.deinterlace = deinterlace
        settings.threads = threads
        settings.cpus = cpus.flatMap(CPUSet.init(list:))
        settings.keyframeInterval = keyframeInterval
        settings.chunks = chunks
        settings.verbose = verbose
        return settings
    }

    var destination: String {
        output ?? URL(fileURLWithPath: input).deletingPathExtension().appendingPathExtension("av1.mkv").path
    }
}

extension EncoderChoice: ExpressibleByArgument {}
extension QualityTier: ExpressibleByArgument {}
extension Deinterlace: ExpressibleByArgument {}
extension ChunkMode: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension SizePrediction {
    /// What `av1d encode --predict` prints.
    var report: String {
        let quality = ssimY.map { String(format: "SSIM-Y %.4f, PSNR-Y %.2f dB", $0, psnrY ?? 0) }
            ?? "no quality score (\(qualityNote ?? "none"))"
        return """
              predicted \(String(format: "%.3f", ratio))x of the original: \(Format.bytes(predictedBytes)) of \(Format.bytes(originalBytes)) \
            (video \(Format.bytes(videoBytes)), other streams \(Format.bytes(otherBytes))) from \(samples) samples (\(Format.seconds(sampleSeconds)))
              \(quality); \(String(format: "%.2f", cpuSeconds)) CPU s, \(Format.seconds(wallSeconds)) wall
            """
    }
}

extension CRFSearchReport {
    /// What `av1d encode` and `av1d bench` print: each step's CRF, scores and predicted size.
    var table: String {
        let rows = steps.enumerated().map { number, step in
            let ssim = step.ssimY.map { String(format: "%.4f", $0) } ?? "--"
            let psnr = step.psnrY.map { String(format: "%.2f dB", $0) } ?? "--"
            let ratio = String(format: "%.3fx", step.predictedRatio)
            let columns = [pad("\(number + 1)", 4), pad("\(step.crf)", 4), pad(ssim, 8), pad(psnr, 10),
                           pad(Format.bytes(step.predictedBytes), 10), pad(ratio, 7), pad(String(format: "%.1f", step.cpuSeconds), 6)]
            return "    " + columns.joined(separator: " ") + " " + (step.meetsTarget ? "meets" : "misses")
        }
        let outcome = chosenCRF.map { "chosen: CRF \($0)" } ?? "no CRF in range meets the target"
        return """
              CRF search for \(target) in \(crfMin)..\(crfMax), on the prediction's samples:
                step CRF  SSIM-Y   PSNR-Y     predicted  ratio   CPU s  target
            \(rows.joined(separator: "\n"))
              \(outcome) (\(steps.count) steps, \(String(format: "%.1f", cpuSeconds)) CPU s, \(Format.seconds(wallSeconds)) wall)
            """
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

extension EncodeSummary {
    /// The one summary printed at the end of `av1d encode`.
    var report: String {
        let ratio = String(format: "%.3f", sizeRatio)
        return """
            \(output)
              \(encoder), preset \(preset), CRF \(crf), \(bitDepth)-bit, \(threads) threads on CPUs \(cpus), \(width)x\(height)
              frames \(framesEncoded) (decoded \(framesDecoded)), duration \(Format.seconds(durationSeconds)), \
            wall \(Format.seconds(wallSeconds)), \(String(format: "%.2f", fps)) fps
              size \(Format.bytes(inputBytes)) -> \(Format.bytes(outputBytes)) (ratio \(ratio)), \
            peak memory \(Format.bytes(Int64(peakRSSBytes))) (\(memoryModel)frames queued at peak \(Format.bytes(Int64(peakQueuedFrameBytes))))
              \(daemonDecision)
            """ + notes.map { "\n  note: \($0)" }.joined()
    }

    /// What `EncodeMemory` expected of this encode, beside what it took. The model is of one
    /// SVT-AV1 instance: a chunked encode ("SVT-AV1 v1.4.1 in 3 chunks") runs one per worker.
    private var memoryModel: String {
        guard encoder.hasPrefix("SVT-AV1"), !encoder.hasSuffix(" chunks") else { return "" }
        let model = EncodeMemory.estimate(width: width, height: height, bitDepth: bitDepth, threads: threads, preset: preset)
        return "model \(Format.bytes(Int64(model))); "
    }

    /// What the daemon, at its default `max_size_ratio`, would do with this output: says plainly
    /// when the output is larger than the input or not small enough to replace it.
    private var daemonDecision: String {
        let gate = SizeGate()
        return gate.sentence(for: gate.verdict(originalBytes: inputBytes, newBytes: outputBytes))
    }
}
