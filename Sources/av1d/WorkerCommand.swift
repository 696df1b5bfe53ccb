import ArgumentParser
import AV1Daemon
import Foundation
import LinuxSupport
import NativeEncode
import WorkerProtocol

/// The daemon's worker processes: one hostile file can crash only its own worker. Each reads
/// one `WorkerRequest` line on stdin and answers with `WorkerMessage` lines on stdout.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Internal: one of the daemon's worker processes (a JSON request on stdin).",
        shouldDisplay: false)

    func run() throws {
        // The unit grants the daemon CAP_CHOWN (ambient) so a replacement keeps its original's owner.
        // A worker decodes untrusted files and needs no capability: it gives them up first, before
        // any thread exists (capabilities belong to threads).
        do { try Capabilities.dropUnlessRoot() } catch {
            emit(WorkerMessage(event: .failed, reason: error.description, failure: .environment))
            throw ExitCode(1)
        }
        bindToSupervisor()
        let request: WorkerRequest
        do {
            // The supervisor writes one line and closes the pipe.
            let input = FileHandle.standardInput.readDataToEndOfFile()
            request = try WorkerRequest.parse(input.prefix { $0 != UInt8(ascii: "\n") })
        } catch {
            emit(WorkerMessage(event: .failed, reason: error.description))
            throw ExitCode(64)
        }
        switch request.task {
        case .probe: try probe(request.input)
        case .encode: try encode(request.input, to: request.output!, settings: request.settings!, gate: request.prediction,
                                   workFolder: request.workFolder)
        }
    }

    /// A worker never outlives the supervisor that started it.
    private func bindToSupervisor() {
        if let pid = ProcessInfo.processInfo.environment[WorkerProcess.supervisorVariable].flatMap(Int32.init) {
            ProcessLifetime.endWithParent(expectedParent: pid)
        }
    }

    private func emit(_ message: WorkerMessage) {
        FileHandle.standardOutput.write(message.line())
    }

    private func probe(_ input: String) throws {
        do {
            emit(WorkerMessage(event: .probed, probe: ProbeFacts(try MediaProbe.inspect(path: input))))
        } catch {
            emit(WorkerMessage(event: .failed, reason: "\(error)"))
            throw ExitCode(1)
        }
    }

    /// Predicts the encode from samples (when asked) and skips it if the gate says so; otherwise
    /// encodes, watching the output's size when the gate is on (`SizeWatch`), then verifies the
    /// output independently of the encode.
    private func encode(_ input: String, to output: String, settings: EncodeSettings, gate: PredictionGate?,
                        workFolder: String?) throws {
        let stop = StopFlag()
        let signals = SignalWatch(stop: stop)
        defer { signals.cancel() }
        do {
            var settings = settings
            var search = CRFSearchDecision.notSearched
            // The source's stream bytes: one read of the file, shared by the samples and the watch.
            var streams: SourceStreamBytes?
            if settings.qualityTarget != nil, let workFolder,
               let crf = ChunkFolder.resumableCRF(in: workFolder, input: input, settings: settings) {
                // An earlier attempt searched, passed the gate and left chunks at this CRF.
                settings.crf = crf
                search = .encode
                emit(WorkerMessage(event: .stage, stage: "not searching the CRF again: resuming at CRF \(crf)"))
            } else if let target = settings.qualityTarget {
                search = try searchCRF(input, scratch: output, settings: &settings, target: target, gate: gate,
                                       streams: &streams, stop: stop)
            }
            var refusal: String?
            switch search {
            case .encode: break
            case .keepOriginal(let reason): refusal = reason
            case .notSearched:
                if let gate {
                    refusal = try predict(input, scratch: output, settings: settings, gate: gate, streams: &streams, stop: stop,
                                          workFolder: workFolder)
                }
            }
            if let refusal {
                emit(WorkerMessage(event: .nothingToDo, reason: refusal))
                throw ExitCode(3)
            }
            let watch: SizeWatch? = if let gate { try sizeWatch(input, settings: settings, gate: gate, streams: &streams) } else { nil }
            let summary: EncodeSummary
            switch try encodeWatched(input, to: output, settings: settings, watch: watch, workFolder: workFolder, stop: stop) {
            case .finished(let finished): summary = finished
            case .offCourse(let projection, let maxSizeRatio):
                emit(WorkerMessage(event: .nothingToDo, sizeWatch: projection, reason: projection.reason(maxSizeRatio: maxSizeRatio)))
                throw ExitCode(3)
            }
            emit(WorkerMessage(event: .stage, stage: "verifying"))
            let report = try OutputVerifier.verify(
                path: summary.output, summary: summary,
                progress: { emit(WorkerMessage(event: .stage, stage: "verifying \($0) frames")) })
            emit(WorkerMessage(event: .verified, summary: summary, verification: report))
        } catch let exit as ExitCode {
            throw exit
        } catch EncodeError.nothingToDo(let reason) {
            emit(WorkerMessage(event: .nothingToDo, reason: "\(EncodeError.nothingToDo(reason))"))
            throw ExitCode(3)
        } catch {
            let kind = FailureKind.of(error, outputFolder: (output as NSString).deletingLastPathComponent)
            emit(WorkerMessage(event: .failed, reason: "\(error)", failure: kind))
            throw ExitCode(1)
        }
    }

    private enum WatchedEncode {
        case finished(EncodeSummary)
        /// The size watch stopped the encode: the projection that did.
        case offCourse(SizeWatch.Projection, maxSizeRatio: Double)
    }

    /// The full encode, reporting progress; the size watch, if any, stops it once it is off course.
    private func encodeWatched(_ input: String, to output: String, settings: EncodeSettings, watch: SizeWatch?,
                               workFolder: String?, stop: StopFlag) throws(EncodeError) -> WatchedEncode {
        let offCourse = OffCourse()
        do {
            return .finished(try Transcoder(settings: settings).encode(
                input: input, output: output, overwrite: true,
                observer: { progress in
                    emit(WorkerMessage(event: .progress, progress: progress))
                    if let projection = watch?.projection(after: progress), projection.isOffCourse, offCourse.set(projection) {
                        stop.raise()
                    }
                }, stop: stop, chunkFolder: workFolder))
        } catch {
            if case .cancelled = error, let watch, let projection = offCourse.projection {
                return .offCourse(projection, maxSizeRatio: watch.maxSizeRatio)
            }
            throw error
        }
    }

    /// The first projection that found the encode off course, set once from the encode thread.
    private final class OffCourse: @unchecked Sendable {
        private let lock = NSLock()
        private var first: SizeWatch.Projection?

        var projection: SizeWatch.Projection? { lock.withLock { first } }

        /// True when `projection` is the first: the one that stops the encode.
        func set(_ projection: SizeWatch.Projection) -> Bool {
            lock.withLock {
                guard first == nil else { return false }
                first = projection
                return true
            }
        }
    }

    /// The size watch for an encode under the gate; nil, said on a stage line, when the source's
    /// pictures cannot be counted: the encode then runs to the end, as without a watch. A chunked
    /// encode's progress does not count its video bytes: the watch then never judges.
    private func sizeWatch(_ input: String, settings: EncodeSettings, gate: PredictionGate,
                           streams: inout SourceStreamBytes?) throws(EncodeError) -> SizeWatch? {
        let source = try sampling("size watch", otherwise: "encoding without it") { () throws(EncodeError) in
            let source = SourceInfo(try MediaInput(path: input))
            if streams == nil { streams = try SourceStreamBytes(path: input, durationSeconds: source.durationSeconds) }
            return source
        }
        guard let source, let streams else { return nil }
        return SizeWatch(maxSizeRatio: gate.maxSizeRatio, source: streams, originalBytes: OutputTarget.size(of: input),
                         keyframeInterval: settings.resolvedKeyframeInterval(framesPerSecond: source.frameRate),
                         miniGOP: settings.miniGOP)
    }

    /// The prediction, reported as a `predicted` message; the gate's reason to skip, if any. A
    /// prediction that fails costs only itself: the title is encoded in full, as without one.
    private func predict(_ input: String, scratch: String, settings: EncodeSettings, gate: PredictionGate,
                         streams: inout SourceStreamBytes?, stop: StopFlag, workFolder: String?) throws(EncodeError) -> String? {
        // An earlier attempt of this encode passed the gate and left chunks: its samples would
        // say the same again, at a cost the resume is there to save.
        if let workFolder {
            let resumable = ChunkFolder.resumableChunks(in: workFolder, input: input, settings: settings)
            if resumable > 0 {
                emit(WorkerMessage(event: .stage, stage: "not predicting again: resuming from \(resumable) finished chunks"))
                return nil
            }
        }
        emit(WorkerMessage(event: .stage, stage: "predicting"))
        let predicted = try sampling("prediction", otherwise: "encoding in full") { () throws(EncodeError) in
            try SamplePredictor(settings: settings).predict(
                input: input, scratch: scratch, streams: &streams,
                observer: { sample, count, progress in
                    emit(WorkerMessage(event: .stage, stage: "predicting: sample \(sample) of \(count), frame \(progress.framesEncoded)"))
                }, stop: stop)
        }
        // nil: the prediction failed (the stage line said so); .some(nil): too short to predict.
        guard let predicted else { return nil }
        guard let prediction = predicted else {
            emit(WorkerMessage(event: .stage, stage: "too short to predict; encoding in full"))
            return nil
        }
        let refusal = gate.refusal(of: prediction)
        emit(WorkerMessage(event: .predicted, prediction: prediction, reason: refusal))
        return refusal
    }

    private enum CRFSearchDecision {
        /// Encode at the chosen CRF (now in the settings).
        case encode
        /// No CRF in range meets the target, or the gate refuses the chosen CRF's prediction.
        case keepOriginal(String)
        /// The search could not run: the configured CRF, predicted and gated as without a target.
        case notSearched
    }

    /// The CRF search on the samples, for a quality target: the chosen CRF goes into `settings`
    /// and is reported, with the prediction at it, as a `predicted` message, which the gate
    /// judges. No CRF in range meeting the target keeps the original: a file below the asked
    /// quality never replaces it. A search that cannot run costs only itself.
    private func searchCRF(_ input: String, scratch: String, settings: inout EncodeSettings, target: QualityTarget,
                           gate: PredictionGate?, streams: inout SourceStreamBytes?, stop: StopFlag) throws(EncodeError) -> CRFSearchDecision {
        emit(WorkerMessage(event: .stage, stage: "searching CRF"))
        let fallback = "the configured CRF is used"
        let search = CRFSearch(settings: settings, target: target)
        let searched = try sampling("CRF search", otherwise: fallback) { () throws(EncodeError) in
            try search.run(input: input, scratch: scratch, streams: &streams, observer: { step, crf, sample, count, progress in
                emit(WorkerMessage(event: .stage, stage: "searching CRF: step \(step), CRF \(crf), sample \(sample) of \(count), frame \(progress.framesEncoded)"))
            }, stop: stop)
        }
        switch searched {
        case nil:
            return .notSearched
        case .tooShort:
            emit(WorkerMessage(event: .stage, stage: "too short to search the CRF; \(fallback)"))
            return .notSearched
        case .unscorable(let why):
            emit(WorkerMessage(event: .stage, stage: "no CRF search (\(why)); \(fallback)"))
            return .notSearched
        case .searched(let report, let prediction):
            let refusal: String?
            if let crf = report.chosenCRF {
                settings.crf = crf
                refusal = gate?.refusal(of: prediction)
            } else {
                refusal = "\(report.summary); the original is kept"
            }
            emit(WorkerMessage(event: .predicted, prediction: prediction, crfSearch: report, reason: refusal))
            return refusal.map(CRFSearchDecision.keepOriginal) ?? .encode
        }
    }

    /// Runs a sampling step whose failure costs only itself: nil (said on a stage line) instead
    /// of the error, except a stop request and a file with nothing to encode.
    private func sampling<T>(_ what: String, otherwise: String, _ body: () throws(EncodeError) -> T) throws(EncodeError) -> T? {
        do {
            return try body()
        } catch .cancelled {
            throw .cancelled
        } catch .nothingToDo(let reason) {
            throw .nothingToDo(reason)
        } catch {
            emit(WorkerMessage(event: .stage, stage: "\(what) failed (\(error)); \(otherwise)"))
            return nil
        }
    }
}
