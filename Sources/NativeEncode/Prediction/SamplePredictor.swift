import Foundation
import LinuxSupport

/// Predicts the size and quality of a full encode from a few short samples of the title, each
/// encoded by the same `Transcoder` and settings as the real encode (CPU set, threads, preset,
/// CRF, bit depth, deinterlacing), then scored against the source.
public struct SamplePredictor: Sendable {
    public var settings: EncodeSettings
    public var placement: SamplePlan.Placement

    public init(settings: EncodeSettings, placement: SamplePlan.Placement = .spread) {
        self.settings = settings
        self.placement = placement
    }

    /// What a sample is doing, for a worker's stage line.
    public typealias SampleObserver = @Sendable (_ sample: Int, _ of: Int, _ progress: EncodeProgress) -> Void

    /// The prediction for `input`, or nil when the title is too short to sample. Samples are
    /// written next to `scratch` (the full encode's output path), under hidden names ending in
    /// `.av1d-partial` like the engine's own partial files (which recovery removes after a crash),
    /// and removed as they are read.
    public func predict(input: String, scratch: String, observer: SampleObserver? = nil,
                        stop: StopFlag = StopFlag()) throws(EncodeError) -> SizePrediction? {
        var streams: SourceStreamBytes?
        return try predict(input: input, scratch: scratch, streams: &streams, observer: observer, stop: stop)
    }

    /// The same, with the source's stream bytes (a read of the whole file, whatever the CRF)
    /// counted once for every prediction and size watch that share `streams`, as a CRF search's
    /// steps do.
    public func predict(input: String, scratch: String, streams: inout SourceStreamBytes?, observer: SampleObserver? = nil,
                        stop: StopFlag = StopFlag()) throws(EncodeError) -> SizePrediction? {
        let before = UsageSample.now()
        let source = SourceInfo(try MediaInput(path: input))
        guard source.videoIndex != nil else { throw .nothingToDo(.noVideoStream) }
        if source.isAV1 { throw .nothingToDo(.alreadyAV1) }
        guard let plan = SamplePlan(durationSeconds: source.durationSeconds, frameRate: source.frameRate,
                                    miniGOP: settings.miniGOP, placement: placement) else { return nil }

        var bytes = SampleBytes()
        var quality = SampleQuality()
        let keyframeInterval = settings.resolvedKeyframeInterval(framesPerSecond: source.frameRate)
        for (number, segment) in plan.segments.enumerated() {
            var sampleSettings = settings
            sampleSettings.segment = segment
            let path = OutputTarget.temporaryPath(for: "\(scratch).sample\(number + 1)")
            defer { unlink(path) }
            var sampleObserver: ProgressObserver?
            if let observer {
                let count = plan.segments.count
                sampleObserver = { progress in observer(number + 1, count, progress) }
            }
            let summary = try Transcoder(settings: sampleSettings).encode(
                input: input, output: path, overwrite: true, observer: sampleObserver, stop: stop)
            bytes = bytes + (try SampleBytes(path: path, source: SourcePictureBytes(path: input, segment: segment)))
            try quality.add(source: input, segment: segment, encoded: summary.output, bitDepth: settings.bitDepth)
        }
        if streams == nil { streams = try SourceStreamBytes(path: input, durationSeconds: source.durationSeconds) }
        guard let streams else { return nil }
        let after = UsageSample.now()
        return SizePrediction(
            samples: plan.segments.count, sampleSeconds: plan.sampleSeconds,
            videoBytes: bytes.extrapolated(toFrames: source.estimatedFrames, keyframeInterval: keyframeInterval,
                                           sourceVideoBytes: streams.video, sceneCuts: sceneCuts(streams)),
            otherBytes: streams.other, originalBytes: OutputTarget.size(of: input),
            ssimY: quality.scores?.ssimY, psnrY: quality.scores?.psnrY, qualityNote: quality.incomparable,
            cpuSeconds: after.cpuSeconds - before.cpuSeconds, wallSeconds: after.wallSeconds - before.wallSeconds)
    }

    /// The scene cuts costed beyond the samples: all of them for spread samples; none for centred
    /// ones, which in a title of equal parts hold a cut each (measured on the benchmark library:
    /// -14 to +19% without, more overshoot with them).
    private func sceneCuts(_ streams: SourceStreamBytes) -> Int {
        placement == .spread ? streams.sceneCuts : 0
    }
}
