import Foundation
@testable import Bench
@testable import NativeEncode
import Testing

/// The 8-bit to 10-bit fast path must give exactly what swscale gives (ffmpeg is the oracle).
@Suite("Pixel conversion")
struct PixelConversionTests {
    @Test("limited range: every plane equals ffmpeg's conversion to yuv420p10le")
    func limitedRange() throws {
        let scratch = try Scratch()
        try expectSameAsFFmpeg(Fixtures.path("multitrack.mkv"), filter: "format=yuv420p10le", in: scratch)
    }

    @Test("full range (yuvj420p): luma refilled from its top bits, as swscale does when both sides are full range")
    func fullRange() throws {
        let scratch = try Scratch()
        let clip = scratch.path("full.mkv")
        let made = try runTool("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
                                                   "-frames:v", "3", "-pix_fmt", "yuvj420p", "-c:v", "libx264", "-qp", "0", clip],
                               in: scratch)
        #expect(made.status == 0)
        try expectSameAsFFmpeg(clip, filter: "scale=in_range=full:out_range=full,format=yuv420p10le", in: scratch)
    }

    /// Compares the first frames PictureStream converts with ffmpeg's raw output of the same frames.
    private func expectSameAsFFmpeg(_ path: String, filter: String, in scratch: Scratch) throws {
        let raw = scratch.path("reference.yuv")
        let reference = try runTool("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-frames:v", "3",
                                                        "-fps_mode", "passthrough", "-vf", filter, "-f", "rawvideo", raw],
                                    in: scratch)
        #expect(reference.status == 0)
        let expected = try Data(contentsOf: URL(fileURLWithPath: raw))
        var pictures = try PictureStream(path: path, bitDepth: 10)
        var ours = Data()
        while ours.count < expected.count, let picture = try pictures.next() {
            ours.append(Self.packedPlanes(picture))
        }
        #expect(ours.count == expected.count)
        // The first differing byte, rather than two long dumps.
        #expect(ours.indices.first { ours[$0] != expected[$0] } == nil)
    }

    /// The three planes of a 10-bit 4:2:0 picture without row padding, as rawvideo stores them.
    private static func packedPlanes(_ frame: borrowing Frame) -> Data {
        let picture = frame.pointer.pointee
        let planes = [(picture.data.0!, picture.linesize.0), (picture.data.1!, picture.linesize.1), (picture.data.2!, picture.linesize.2)]
        var data = Data()
        for (index, (base, stride)) in planes.enumerated() {
            let width = index == 0 ? frame.width : (frame.width + 1) / 2
            let height = index == 0 ? frame.height : (frame.height + 1) / 2
            for row in 0..<height { data.append(base + row * Int(stride), count: width * 2) }
        }
        return data
    }
}
