import Foundation
import LinuxSupport
@testable import NativeEncode
import Testing
import WorkerProtocol

@Suite("The quality target on the worker's wire")
struct QualityTargetProtocolTests {
    @Test("a quality target and its CRF bounds travel in the settings, snake_case, unchanged")
    func request() throws {
        var settings = EncodeSettings()
        settings.qualityTarget = .psnr(41.5)
        settings.crfMin = 20
        settings.crfMax = 40
        let request = WorkerRequest.encode("/media/a.mkv", to: "/tmp/x.mkv.tmp", settings: settings)
        let line = try request.line()
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains(#""quality_target":{"metric":"psnr","score":41.5}"#) && text.contains(#""crf_min":20"#)
                && text.contains(#""crf_max":40"#), "\(text)")
        #expect(try WorkerRequest.parse(line.dropLast()) == request)
    }

    @Test("the search's report survives a worker message; the chosen CRF is chosen_crf")
    func message() throws {
        let prediction = SizePrediction(samples: 2, sampleSeconds: 1.3, videoBytes: 90_000, otherBytes: 10_000,
                                        originalBytes: 500_000, ssimY: 0.981, psnrY: 39.4, qualityNote: nil,
                                        cpuSeconds: 2.5, wallSeconds: 2)
        let report = CRFSearchReport(target: .ssim(0.98), crfMin: 18, crfMax: 45,
                                     steps: [CRFSearchStep(crf: 39, prediction: prediction, meetsTarget: true)],
                                     chosenCRF: 39, cpuSeconds: 2.5, wallSeconds: 2)
        let line = WorkerMessage(event: .predicted, prediction: prediction, crfSearch: report).line()
        #expect(String(decoding: line, as: UTF8.self).contains(#""chosen_crf":39"#))
        let parsed = try #require(WorkerMessage.parse(line))
        #expect(parsed.crfSearch == report && parsed.prediction == prediction)
    }
}
