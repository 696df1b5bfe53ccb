import AV1Daemon
import Foundation
import Testing

@Suite("The daemon with a quality target: the CRF searched per title", .serialized)
struct CRFSearchDaemonTests {
    @Test("the chosen CRF is used and recorded with the search; the output reaches the target")
    func searched() throws {
        let daemon = try DaemonHarness(["quality_target_ssim": "0.98", "svt_preset": "10"])
        try daemon.add("views-highrate.mkv")
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "views-highrate.mkv").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "views-highrate.mkv").last)
        let search = try #require(job.crfSearch)
        let chosen = try #require(search.chosenCRF)
        #expect(job.crfUsed == chosen, "the summary's CRF is the search's")
        #expect(search.target == .ssim(0.98) && search.crfMin == 18 && search.crfMax == 45)
        // The configured crf (50 in the harness) is where the search starts, moved into the range.
        #expect(search.steps.first?.crf == 45 && search.steps.count >= 2, "\(search.summary)")
        #expect(search.chosen?.meetsTarget == true && search.steps.contains { $0.crf == chosen + 1 && !$0.meetsTarget })
        // The prediction on the job is the chosen CRF's, its cost the whole search's.
        #expect(job.predictedRatio == search.chosen?.predictedRatio && job.predictionCpuSeconds == search.cpuSeconds)
        #expect(job.predictionError != nil && job.skippedByPrediction == false)
        #expect(daemon.log.contains("CRF \(chosen) is the highest in 18..45 reaching SSIM-Y 0.98 on the samples"), "\(daemon.log)")
        // The record's JSON has the search under the snake_case names the README gives.
        let json = try String(contentsOfFile: daemon.jobs + "/\(job.id).json", encoding: .utf8)
        #expect(json.contains("\"crf_search\"") && json.contains("\"chosen_crf\" : \(chosen)") && json.contains("\"meets_target\""), "\(json)")
        let output = try #require(job.outputPath)
        let ssim = Media.run(["ffmpeg", "-nostdin", "-hide_banner", "-c:v", "libdav1d", "-i", output,
                              "-i", DaemonHarness.fixtures + "/views-highrate.mkv", "-lavfi", "[0:v:0][1:v:0]ssim", "-f", "null", "-"])
        let y = ssim.output.components(separatedBy: "SSIM Y:").last?.split(separator: " ").first.flatMap { Double($0) }
        // The tolerance of the engine's test (CRFSearchMediaTests): samples score a little above the title.
        #expect((y ?? 0) >= 0.98 - 0.003, "\(ssim.output.suffix(300))")
    }

    @Test("no CRF in range reaches the target: the original is kept with the reason, without a full encode")
    func unreachable() throws {
        let daemon = try DaemonHarness(["quality_target_ssim": "0.9999", "crf_min": "40"])
        let path = try daemon.add("views-highrate.mkv")
        let original = Media.sha(path)
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "views-highrate.mkv").last?.status == .skipped }, "\(daemon.log)")
        _ = try daemon.stop()
        let job = try #require(daemon.records(for: "views-highrate.mkv").last)
        let reason = try #require(job.reason)
        #expect(reason.hasPrefix("no CRF in 40..45 reaches SSIM-Y 0.9999 on the samples (CRF 45 0.9") && reason.hasSuffix("; the original is kept"),
                "\(reason)")
        #expect(job.crfSearch?.chosenCRF == nil && job.crfSearch?.steps.map(\.crf) == [45, 40])
        #expect(job.crfUsed == nil && job.framesEncoded == nil && job.newBytes == nil)
        #expect(FileManager.default.fileExists(atPath: SkipMarker.markerPath(for: path)))
        #expect(try String(contentsOfFile: SkipMarker.sidecarPath(for: path), encoding: .utf8).contains(reason))
        #expect(Media.sha(path) == original)
        #expect(daemon.files(in: daemon.temp).isEmpty)
    }
}
