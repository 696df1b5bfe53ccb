import Foundation
@testable import NativeEncode
import Testing

@Suite("Searching the CRF for a quality target")
struct CRFBracketTests {
    /// Quality curves over CRF, shaped as real ones are (falling; straight, bending either way).
    static let curves: [(name: String, metric: QualityTarget.Metric, score: @Sendable (Int) -> Double)] = [
        ("SSIM, straight in dB of 1 − SSIM", .ssim, { ssim(dB: 22 - 0.17 * Double($0)) }),
        ("SSIM, flattening at high CRF", .ssim, { ssim(dB: 22 - 0.17 * Double($0) + 0.002 * pow(Double($0 - 18), 2)) }),
        ("SSIM, steepening at high CRF", .ssim, { ssim(dB: 20 - 0.08 * Double($0) - 0.003 * pow(Double($0 - 18), 2)) }),
        ("PSNR, straight", .psnr, { 48 - 0.25 * Double($0) }),
        ("PSNR, bending", .psnr, { 50 - 0.45 * Double($0) + 0.004 * pow(Double($0), 2) }),
    ]

    static func ssim(dB: Double) -> Double { 1 - pow(10, -dB / 10) }

    /// Runs the bracket on a curve: the outcome and the CRFs tried.
    static func search(_ score: (Int) -> Double, target: QualityTarget, range: ClosedRange<Int> = 18...45,
                       start: Int = 24) -> (outcome: CRFBracket.Next, tried: [Int]) {
        var bracket = CRFBracket(range: range, target: target, start: start)
        var tried: [Int] = []
        while case .tryCRF(let crf) = bracket.next {
            precondition(tried.count < 50, "the search does not end")
            tried.append(crf)
            bracket.record(crf: crf, score: score(crf))
        }
        return (bracket.next, tried)
    }

    @Test("finds the highest CRF that meets the target, in few tries, never trying a CRF twice",
          arguments: 0..<curves.count)
    func highestMeetingCRF(curve index: Int) {
        let curve = Self.curves[index]
        let range = 18...45
        var triesPerSearch: [Int] = []
        // Every target between the range's two ends, in tenths of a CRF step.
        let top = curve.score(range.lowerBound), bottom = curve.score(range.upperBound)
        for tenth in 1..<270 {
            let goal = top - (top - bottom) * Double(tenth) / 270
            let target = QualityTarget(metric: curve.metric, score: goal)
            let truth = range.last { curve.score($0) >= goal }!
            let (outcome, tried) = Self.search(curve.score, target: target)
            #expect(outcome == .chosen(truth), "\(curve.name), target \(goal): tried \(tried)")
            #expect(Set(tried).count == tried.count, "\(curve.name): tried \(tried)")
            #expect(tried.count <= CRFBracket.maxSteps)
            triesPerSearch.append(tried.count)
        }
        let mean = Double(triesPerSearch.reduce(0, +)) / Double(triesPerSearch.count)
        // Measured: 3.9 to 4.6 on average, 5 or 6 at most, by curve.
        #expect(mean <= 5 && triesPerSearch.max()! <= 6, "\(curve.name): \(mean) tries on average, at most \(triesPerSearch.max()!)")
    }

    @Test("a target even the lowest CRF misses is unreachable; one the highest CRF meets takes it")
    func rangeEnds() {
        let curve = Self.curves[0].score
        let tooHigh = Self.search(curve, target: .ssim(curve(18) + 0.0001))
        #expect(tooHigh.outcome == .unreachable && tooHigh.tried == [24, 18])
        let easy = Self.search(curve, target: .ssim(curve(45) - 0.0001))
        #expect(easy.outcome == .chosen(45) && easy.tried.last == 45)
        // The start is moved into the range, and a one-CRF range is one try.
        #expect(Self.search(curve, target: .ssim(0.5), range: 30...30, start: 24) == (.chosen(30), [30]))
        #expect(Self.search(curve, target: .ssim(0.9999), range: 30...30, start: 24) == (.unreachable, [30]))
    }

    @Test("a CRF that met the target above one that missed it (noise) is not chosen")
    func noise() {
        var bracket = CRFBracket(range: 18...45, target: .ssim(0.98), start: 24)
        bracket.record(crf: 24, score: 0.985)
        bracket.record(crf: 30, score: 0.979)
        bracket.record(crf: 33, score: 0.981)
        #expect(bracket.highestMeet?.crf == 24 && bracket.lowestMiss?.crf == 30)
        guard case .tryCRF(let crf) = bracket.next else { Issue.record("ended at \(bracket.next)"); return }
        #expect((25...29).contains(crf))
    }

    @Test("SSIM is interpolated in dB of its distance from 1; targets name their metric")
    func scales() {
        #expect(abs(QualityTarget.ssim(0.99).linearized(0.99) - 20) < 1e-9)
        #expect(abs(QualityTarget.ssim(0.99).linearized(0.999) - 30) < 1e-9)
        #expect(QualityTarget.psnr(40).linearized(41.5) == 41.5)
        #expect(QualityTarget.ssim(0.985).description == "SSIM-Y 0.985")
        #expect(QualityTarget.psnr(40).description == "PSNR-Y 40.00 dB")
    }

    @Test("settings: the target's range and the CRF bounds are checked where the other ranges are", arguments: [
        (QualityTarget?.some(.ssim(1)), 18, 45, SettingProblem.Field?.some(.qualityTarget)),
        (.ssim(0), 18, 45, .qualityTarget),
        (.psnr(100), 18, 45, .qualityTarget),
        (.psnr(-3), 18, 45, .qualityTarget),
        (.ssim(0.985), 0, 45, .crfMin),
        (.ssim(0.985), 18, 64, .crfMax),
        (.ssim(0.985), 30, 29, .crfMax),
        (.ssim(0.985), 30, 30, nil),
        (.psnr(42), 18, 45, nil),
        (nil, 18, 45, nil),
    ])
    func settings(target: QualityTarget?, crfMin: Int, crfMax: Int, problem: SettingProblem.Field?) {
        var settings = EncodeSettings()
        settings.qualityTarget = target
        settings.crfMin = crfMin
        settings.crfMax = crfMax
        #expect(settings.problem()?.field == problem, "\(settings.problem()?.message ?? "no problem")")
    }
}

@Suite("The CRF search on real media", .serialized)
struct CRFSearchMediaTests {
    /// The samples can score a little better than the whole title: measured on views-highrate.mkv
    /// at preset 10, the full encode fell short of the samples' target by 0.0009 SSIM-Y (target
    /// 0.98). The tolerances allow for that.
    @Test("the full encode at the chosen CRF meets the target, as ffmpeg measures it", arguments: [
        (QualityTarget.ssim(0.98), 0.003),
        (QualityTarget.psnr(40), 0.5),
    ])
    func meetsTarget(target: QualityTarget, tolerance: Double) throws {
        let scratch = try Scratch()
        let input = Fixtures.path("views-highrate.mkv"), output = scratch.path("out.mkv")
        let settings = fastSettings { $0.preset = 10; $0.crf = nil; $0.qualityTarget = target }
        guard case .searched(let report, let prediction) = try CRFSearch(settings: settings, target: target)
            .run(input: input, scratch: output) else { Issue.record("no search ran"); return }
        let chosen = try #require(report.chosenCRF, "\(report.summary)")
        let step = try #require(report.chosen)
        #expect(step.meetsTarget && report.steps.count <= CRFBracket.maxSteps, "\(report.summary)")
        #expect(report.steps.first?.crf == 24, "the search starts at the quality table's CRF for 144 lines")
        // The highest: the next CRF up was tried and missed (or the chosen one is the range's top).
        #expect(chosen == 45 || report.steps.contains { $0.crf == chosen + 1 && !$0.meetsTarget }, "\(report.summary)")
        // The gate gets the chosen CRF's own samples, and the whole search's cost.
        #expect(prediction.predictedBytes == step.predictedBytes && prediction.cpuSeconds == report.cpuSeconds)
        #expect(report.cpuSeconds >= report.steps.map(\.cpuSeconds).reduce(0, +) * 0.99)
        #expect(scratch.contents.isEmpty, "samples are removed: \(scratch.contents)")

        var full = settings
        full.crf = chosen
        _ = try Transcoder(settings: full).encode(input: input, output: output)
        let measured = try LumaScore.measure(output, against: input, metric: target.metric)
        #expect(measured >= target.score - tolerance, "full encode at CRF \(chosen): \(measured); \(report.summary)")
    }

    @Test("a target no CRF in range reaches: the search says so after trying the lowest")
    func unreachable() throws {
        let scratch = try Scratch()
        let target = QualityTarget.ssim(0.9999)
        let settings = fastSettings { $0.preset = 12; $0.crf = nil; $0.crfMin = 30; $0.crfMax = 40 }
        guard case .searched(let report, let prediction) = try CRFSearch(settings: settings, target: target)
            .run(input: Fixtures.path("views-highrate.mkv"), scratch: scratch.path("out.mkv")) else {
            Issue.record("no search ran"); return
        }
        #expect(report.chosenCRF == nil && report.steps.map(\.crf) == [30], "\(report.summary)")
        #expect(report.summary.hasPrefix("no CRF in 30..40 reaches SSIM-Y 0.9999 on the samples (CRF 30 0.9"), "\(report.summary)")
        #expect(prediction.ssimY == report.steps[0].ssimY, "the prediction is the best quality tried")
    }

    @Test("a title too short to sample is not searched")
    func tooShort() throws {
        let scratch = try Scratch()
        let settings = fastSettings { $0.qualityTarget = .ssim(0.98) }
        let outcome = try CRFSearch(settings: settings, target: .ssim(0.98)).run(input: Fixtures.path("multitrack.mkv"), scratch: scratch.path("out.mkv"))
        guard case .tooShort = outcome else { Issue.record("\(outcome)"); return }
    }
}

/// SSIM-Y or PSNR-Y of an encode against its source, by ffmpeg's own filters (libdav1d decoding).
enum LumaScore {
    static func measure(_ output: String, against source: String, metric: QualityTarget.Metric) throws -> Double {
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner", "-c:v", "libdav1d", "-i", output, "-i", source,
                                              "-lavfi", "[0:v:0][1:v:0]\(metric.rawValue)", "-f", "null", "-"])
        let label = metric == .ssim ? "SSIM Y:" : "PSNR y:"
        guard let line = run.stderr.split(separator: "\n").last(where: { $0.contains(label) }),
              let value = line.components(separatedBy: label).last?.split(separator: " ").first.flatMap({ Double($0) }) else {
            throw Probe.ProbeError(message: "no \(label) from ffmpeg: \(run.stderr.suffix(400))")
        }
        return value
    }
}
