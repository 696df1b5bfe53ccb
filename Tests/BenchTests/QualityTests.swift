import Foundation
@testable import Bench
@testable import NativeEncode
import Testing

@Suite("Quality metrics")
struct QualityTests {
    /// A deterministic textured picture: a gradient with a little pseudo-random grain.
    static func texture(width: Int, height: Int, peak: Int, seed: UInt64 = 1) -> [Int] {
        var state = seed
        return (0..<(width * height)).map { index in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let grain = Int(state >> 59)
            return min((index % width + index / width) * peak / (width + height) + grain, peak)
        }
    }

    static func score(_ pairs: [([Int], [Int])], width: Int, height: Int, bitDepth: Int) -> QualityScores {
        var meter = QualityMeter()
        for (source, decoded) in pairs {
            withPlane(source, width: width, height: height, bitDepth: bitDepth) { a in
                withPlane(decoded, width: width, height: height, bitDepth: bitDepth) { b in meter.add(source: a, decoded: b) }
            }
        }
        return meter.scores
    }

    static func withPlane(_ samples: [Int], width: Int, height: Int, bitDepth: Int, _ body: (LumaPlane) -> Void) {
        if bitDepth > 8 {
            samples.map { UInt16($0) }.withUnsafeBytes {
                body(LumaPlane(base: $0.baseAddress!, stride: width * 2, width: width, height: height, bitDepth: bitDepth))
            }
        } else {
            samples.map { UInt8($0) }.withUnsafeBytes {
                body(LumaPlane(base: $0.baseAddress!, stride: width, width: width, height: height, bitDepth: bitDepth))
            }
        }
    }

    @Test("identical pictures: PSNR at its cap, SSIM exactly 1", arguments: [8, 10])
    func identical(bitDepth: Int) {
        let picture = Self.texture(width: 64, height: 48, peak: (1 << bitDepth) - 1)
        let scores = Self.score([(picture, picture)], width: 64, height: 48, bitDepth: bitDepth)
        #expect(scores.psnrY == QualityMeter.psnrCap)
        #expect(abs(scores.ssimY - 1) < 1e-12)
    }

    @Test("a constant offset d gives PSNR 20·log10(peak / d)", arguments: [(8, 5), (10, 20)])
    func constantOffset(bitDepth: Int, offset: Int) {
        let peak = (1 << bitDepth) - 1
        let picture = Self.texture(width: 64, height: 48, peak: peak - offset)
        let shifted = picture.map { $0 + offset }
        let scores = Self.score([(picture, shifted)], width: 64, height: 48, bitDepth: bitDepth)
        #expect(abs(scores.psnrY - 20 * log10(Double(peak) / Double(offset))) < 1e-9)
        #expect(scores.ssimY < 1)
    }

    @Test("PSNR comes from the mean squared error over all frames (as ffmpeg's psnr filter)")
    func psnrAveragesErrors() {
        let picture = Self.texture(width: 16, height: 16, peak: 200)
        let scores = Self.score([(picture, picture.map { $0 + 2 }), (picture, picture.map { $0 + 4 })],
                                width: 16, height: 16, bitDepth: 8)
        // Mean squared errors 4 and 16: their mean is 10.
        #expect(abs(scores.psnrY - 10 * log10(255.0 * 255.0 / 10)) < 1e-9)
    }

    @Test("a picture smaller than one 8x8 window is scored as one window")
    func tinyPicture() {
        let picture = Self.texture(width: 6, height: 4, peak: 255)
        #expect(abs(Self.score([(picture, picture)], width: 6, height: 4, bitDepth: 8).ssimY - 1) < 1e-12)
    }

    @Test("PSNR-Y and SSIM-Y agree with ffmpeg's psnr and ssim filters", arguments: [8, 10])
    func agreesWithFFmpeg(bitDepth: Int) throws {
        let scratch = try Scratch()
        let (width, height) = (96, 64)
        let peak = (1 << bitDepth) - 1
        let source = Self.texture(width: width, height: height, peak: peak)
        let distorted = zip(source, Self.texture(width: width, height: height, peak: peak, seed: 7))
            .map { a, noise in min(max(a + (noise % 23) - 11, 0), peak) }
        var files: [String] = []
        for (name, samples) in [("source", source), ("distorted", distorted)] {
            let path = scratch.path("\(name).raw")
            let bytes = bitDepth > 8 ? samples.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } : samples.map { UInt8($0) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            files.append(path)
        }
        let format = bitDepth > 8 ? "gray10le" : "gray"
        let raw = ["-f", "rawvideo", "-pix_fmt", format, "-s", "\(width)x\(height)"]
        let ffmpeg = try runTool("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner"] + raw + ["-i", files[1]] + raw + ["-i", files[0],
                                 "-lavfi", "[0][1]ssim;[0][1]psnr", "-f", "null", "-"], in: scratch)
        let ssim = try #require(Self.number(after: "SSIM Y:", in: ffmpeg.stderr))
        let psnr = try #require(Self.number(after: "PSNR y:", in: ffmpeg.stderr))
        let ours = Self.score([(source, distorted)], width: width, height: height, bitDepth: bitDepth)
        #expect(abs(ours.ssimY - ssim) < 1e-4)
        #expect(abs(ours.psnrY - psnr) < 1e-3)
    }

    static func number(after label: String, in text: String) -> Double? {
        guard let range = text.range(of: label) else { return nil }
        return Double(text[range.upperBound...].prefix { !$0.isWhitespace })
    }
}
