import CFFmpeg
import Foundation

/// PSNR and SSIM of the luma plane, over a whole segment.
public struct QualityScores: Sendable, Codable, Equatable {
    /// From the mean squared error over all frames; identical pictures give `QualityMeter.psnrCap`.
    public var psnrY: Double
    /// The mean of the frames' SSIM (1 means identical).
    public var ssimY: Double
}

/// The luma plane of a planar picture: 8-bit samples, or 16-bit little-endian ones above 8 bits.
package struct LumaPlane {
    package let base: UnsafeRawPointer
    /// Bytes from one row to the next.
    package let stride: Int
    package let width: Int
    package let height: Int
    package let bitDepth: Int

    package init(base: UnsafeRawPointer, stride: Int, width: Int, height: Int, bitDepth: Int) {
        self.base = base
        self.stride = stride
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
    }

    /// The frame's first plane; valid while the frame lives.
    package init(_ frame: borrowing Frame) {
        let picture = frame.pointer.pointee
        self.init(base: UnsafeRawPointer(picture.data.0!), stride: Int(picture.linesize.0),
                  width: frame.width, height: frame.height,
                  bitDepth: av_pix_fmt_desc_get(frame.pixelFormat).map { Int($0.pointee.comp.0.depth) } ?? 8)
    }

    package var peak: Double { Double((1 << bitDepth) - 1) }

    /// Sample (x, y) of a plane stored as `Sample`s.
    @inline(__always)
    package func sample<Sample: FixedWidthInteger>(_ x: Int, _ y: Int, as _: Sample.Type) -> Int {
        Int(base.load(fromByteOffset: y * stride + x * MemoryLayout<Sample>.size, as: Sample.self))
    }
}

/// Accumulates luma PSNR and SSIM over pairs of source and decoded pictures.
///
/// SSIM is computed the way FFmpeg's `ssim` filter (and x264) compute it: 8x8 windows placed
/// every 4 pixels, each scored from the sums of its four 4x4 blocks, with K1 = 0.01 and
/// K2 = 0.03 scaled as that filter scales them; a frame's score is the mean over its windows.
/// The numbers can therefore be checked with `ffmpeg -lavfi ssim`. PSNR follows FFmpeg's
/// `psnr` filter: 10·log10(peak² / MSE), the MSE averaged over every frame.
package struct QualityMeter {
    /// PSNR reported for identical pictures, whose true PSNR is infinite (x264's convention).
    package static let psnrCap = 100.0

    private var squaredErrorPerSample = 0.0
    private var ssimSum = 0.0
    package private(set) var frames = 0

    package init() {}
    private var peak = 255.0

    package mutating func add(source: LumaPlane, decoded: LumaPlane) {
        precondition(source.width == decoded.width && source.height == decoded.height && source.bitDepth == decoded.bitDepth,
                     "pictures of different sizes or depths")
        peak = source.peak
        if source.bitDepth > 8 {
            squaredErrorPerSample += Self.meanSquaredError(source, decoded, as: UInt16.self)
            ssimSum += Self.ssim(source, decoded, as: UInt16.self)
        } else {
            squaredErrorPerSample += Self.meanSquaredError(source, decoded, as: UInt8.self)
            ssimSum += Self.ssim(source, decoded, as: UInt8.self)
        }
        frames += 1
    }

    package var scores: QualityScores {
        guard frames > 0 else { return QualityScores(psnrY: 0, ssimY: 0) }
        let mse = squaredErrorPerSample / Double(frames)
        let psnr = mse > 0 ? min(10 * log10(peak * peak / mse), Self.psnrCap) : Self.psnrCap
        return QualityScores(psnrY: psnr, ssimY: ssimSum / Double(frames))
    }

    private static func meanSquaredError<Sample: FixedWidthInteger>(_ a: LumaPlane, _ b: LumaPlane, as type: Sample.Type) -> Double {
        var sum = 0
        for y in 0..<a.height {
            for x in 0..<a.width {
                let difference = a.sample(x, y, as: type) - b.sample(x, y, as: type)
                sum += difference * difference
            }
        }
        return Double(sum) / Double(a.width * a.height)
    }

    /// Sums over one block of pixels: Σa, Σb, Σ(a²+b²), Σab.
    private struct BlockSums {
        var a = 0, b = 0, squares = 0, products = 0

        static func + (l: Self, r: Self) -> Self {
            Self(a: l.a + r.a, b: l.b + r.b, squares: l.squares + r.squares, products: l.products + r.products)
        }
    }

    private static func ssim<Sample: FixedWidthInteger>(_ a: LumaPlane, _ b: LumaPlane, as type: Sample.Type) -> Double {
        func sums(x: Int, y: Int, width: Int, height: Int) -> BlockSums {
            var block = BlockSums()
            for row in y..<(y + height) {
                for column in x..<(x + width) {
                    let p = a.sample(column, row, as: type), q = b.sample(column, row, as: type)
                    block.a += p
                    block.b += q
                    block.squares += p * p + q * q
                    block.products += p * q
                }
            }
            return block
        }
        let columns = a.width / 4, rows = a.height / 4
        // A picture too small for one 8x8 window is scored as one window.
        guard columns >= 2 && rows >= 2 else {
            return windowSSIM(sums(x: 0, y: 0, width: a.width, height: a.height), count: a.width * a.height, peak: a.peak)
        }
        var above = (0..<columns).map { sums(x: 4 * $0, y: 0, width: 4, height: 4) }
        var total = 0.0
        for row in 1..<rows {
            let current = (0..<columns).map { sums(x: 4 * $0, y: 4 * row, width: 4, height: 4) }
            for column in 0..<(columns - 1) {
                let window = above[column] + above[column + 1] + current[column] + current[column + 1]
                total += windowSSIM(window, count: 64, peak: a.peak)
            }
            above = current
        }
        return total / Double((columns - 1) * (rows - 1))
    }

    /// SSIM of one window of `count` pixels from its sums, in FFmpeg's `ssim_end1` form.
    private static func windowSSIM(_ s: BlockSums, count: Int, peak: Double) -> Double {
        let n = Double(count)
        let c1 = 0.01 * 0.01 * peak * peak * n
        let c2 = 0.03 * 0.03 * peak * peak * n * (n - 1)
        let s1 = Double(s.a), s2 = Double(s.b)
        let variances = Double(s.squares) * n - s1 * s1 - s2 * s2
        let covariance = Double(s.products) * n - s1 * s2
        return (2 * s1 * s2 + c1) * (2 * covariance + c2) / ((s1 * s1 + s2 * s2 + c1) * (variances + c2))
    }
}
