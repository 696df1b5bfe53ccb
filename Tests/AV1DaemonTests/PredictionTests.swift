import AV1Daemon
import Foundation
import NativeEncode
import Testing

@Suite("Prediction from samples before the full encode", .serialized)
struct PredictionTests {
    @Test("a lean title is skipped by its prediction: reason, marker, .why.txt; the full encode never runs")
    func leanTitleSkipped() throws {
        // views-lean.mp4 (42 s, a lean x264 web release) grows at CRF 16: the samples say so first.
        let daemon = try DaemonHarness(["crf": "16"])
        let path = try daemon.add("views-lean.mp4")
        let original = Media.sha(path)
        try daemon.start()
        var seenInTemp = Set<String>()
        #expect(daemon.wait {
            seenInTemp.formUnion(daemon.files(in: daemon.temp))
            return daemon.records(for: "views-lean.mp4").last?.status == .skipped
        }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "views-lean.mp4").last)
        let reason = try #require(job.reason)
        #expect(reason.hasPrefix("predicted ") && reason.contains("of the original from 2 samples") && reason.contains("threshold 1.00"),
                "\(reason)")
        #expect(job.skippedByPrediction == true)
        #expect((job.predictedRatio ?? 0) >= 1.10, "the gate skips from 1.10x with the starting 10% margin")
        // Two samples of 33 pictures at 25 fps: 6% of the title.
        #expect(job.predictionSamples == 2 && abs((job.sampleSeconds ?? 0) - 2.64) < 0.01)
        #expect((job.predictionCpuSeconds ?? 0) > 0)
        #expect((job.predictedSsim ?? 0) > 0.9 && (job.predictedSsim ?? 0) <= 1)
        // No picture of the full encode: its progress would have set the frame count, and its
        // output (or the engine's partial file for it) would have appeared in the temp folder.
        #expect(job.framesEncoded == nil && job.newBytes == nil && job.predictionError == nil)
        let fullOutput = (try #require(job.tempOutputPath) as NSString).lastPathComponent
        #expect(!seenInTemp.contains { $0.hasPrefix(fullOutput) && !$0.contains(".sample") }
                && !seenInTemp.contains { $0 == ".\(fullOutput).av1d-partial" }, "\(seenInTemp)")
        #expect(daemon.files(in: daemon.temp).isEmpty, "samples are removed")
        #expect(FileManager.default.fileExists(atPath: SkipMarker.markerPath(for: path)))
        let why = try String(contentsOfFile: SkipMarker.sidecarPath(for: path), encoding: .utf8)
        #expect(why.contains(reason))
        #expect(Media.sha(path) == original)
    }

    @Test("the size watch stops the full encode of a title on course to grow: reason with the share, marker, no temp output, original kept")
    func sizeWatchStops() throws {
        // bbb720.mp4 (5 s) is too short to sample, so it is not predicted; at CRF 16 it comes out
        // larger than the original, which its first pictures already show.
        let daemon = try DaemonHarness(["crf": "16"])
        let path = try daemon.add("bbb720.mp4")
        let original = Media.sha(path)
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "bbb720.mp4").last?.status == .skipped }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "bbb720.mp4").last)
        let share = try #require(job.stoppedAtFraction)
        let projected = try #require(job.projectedRatio)
        #expect(share >= SizeWatch.earliestShare && share < 0.5, "stopped early: \(share)")
        #expect(projected > 1.0 * (1 + SizeWatch.earliestMargin))
        #expect(job.reason == String(format: "stopped at %.0f%%: on course for %.2fx of the original (threshold 1.00)", share * 100, projected))
        #expect(job.predictedRatio == nil && job.skippedByPrediction == nil, "too short to predict")
        #expect(job.newBytes == nil && (job.framesEncoded ?? 0) < 125, "the encode did not finish: \(job.framesEncoded ?? 0) frames")
        #expect(daemon.files(in: daemon.temp).isEmpty, "the partial output is removed")
        #expect(FileManager.default.fileExists(atPath: SkipMarker.markerPath(for: path)))
        #expect(try String(contentsOfFile: SkipMarker.sidecarPath(for: path), encoding: .utf8).contains(job.reason!))
        #expect(Media.sha(path) == original)
        let status = Media.run([DaemonHarness.binary, "status", "--config", daemon.configPath])
        #expect(status.output.contains("0 skipped without a full encode, 1 stopped part-way by the size watch"), "\(status.output)")
    }

    @Test("predict = false: the same title is encoded in full and kept by the size gate, with no prediction or size watch")
    func switchedOff() throws {
        let daemon = try DaemonHarness(["crf": "16", "predict": "false"])
        try daemon.add("bbb720.mp4")
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "bbb720.mp4").last?.status == .skipped }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "bbb720.mp4").last)
        #expect(job.reason?.hasPrefix("new file would be") == true, "\(job.reason ?? "")")
        #expect(job.predictedRatio == nil && job.skippedByPrediction == nil && job.stoppedAtFraction == nil)
        #expect((job.framesEncoded ?? 0) > 100)
    }

    @Test("a high-bitrate title is encoded; the prediction's error is recorded (within 10%), learned from and shown by status")
    func highBitrateEncoded() throws {
        let daemon = try DaemonHarness()
        let path = try daemon.add("views-highrate.mkv")
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "views-highrate.mkv").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "views-highrate.mkv").last)
        let predicted = try #require(job.predictedRatio)
        let real = Double(try #require(job.newBytes)) / Double(job.originalBytes)
        let error = try #require(job.predictionError)
        #expect(abs(error - (predicted - real) / real) < 1e-9)
        #expect(abs(error) < 0.10, "predicted \(predicted), real \(real)")
        #expect(predicted < 1 && job.skippedByPrediction == false)
        #expect(job.stoppedAtFraction == nil && job.projectedRatio == nil, "the size watch let it finish")
        #expect(Media.videoCodec(try #require(job.outputPath)) == "av1", "replaced at \(path)")
        let history = PredictionHistory(stateDirectory: daemon.root + "/state")
        #expect(history.overshoots.count == 1 && abs(history.overshoots[0] - (predicted / real - 1)) < 1e-9)
        #expect(history.margin == PredictionHistory.startingMargin, "one title teaches nothing yet")

        let status = Media.run([DaemonHarness.binary, "status", "--config", daemon.configPath])
        #expect(status.status == 0)
        #expect(status.output.contains("predicted: 0 skipped without a full encode, 0 stopped part-way by the size watch; mean size error \(String(format: "%.1f%%", abs(error) * 100)) over 1 full encodes"),
                "\(status.output)")
    }

    @Test("the margin starts conservative, then follows the worst recent overshoot, across restarts")
    func marginLearned() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-history-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var history = PredictionHistory(stateDirectory: folder)
        #expect(history.margin == 0.10 && history.margin(qualityTarget: true) == 0.25)
        for (predicted, real) in [(1.1, 1.0), (0.8, 1.0), (0.5, 0.5), (1.2, 1.0), (0.9, 1.0)] {
            try history.record(predicted: predicted, real: real)
        }
        #expect(abs(history.margin - 0.25) < 1e-9, "worst overshoot 20% + 5% headroom")
        #expect(history.margin(qualityTarget: true) == history.margin, "learned, for both")
        #expect(abs(PredictionHistory(stateDirectory: folder).margin - 0.25) < 1e-9)
        for _ in 0..<PredictionHistory.remembered { try history.record(predicted: 0.9, real: 1.0) }
        #expect(abs(PredictionHistory(stateDirectory: folder).margin - PredictionHistory.headroom) < 1e-9,
                "undershoots only: the least margin; old overshoots forgotten")
    }
}
