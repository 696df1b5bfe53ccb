import Foundation
@testable import Bench
@testable import NativeEncode
import Testing

@Suite("Measurements of our engine")
struct MeasurementTests {
    @Test("the encoder-alone run encodes the segment from memory and scores it, decoded with libdav1d")
    func encoderAlone() throws {
        let result = try BenchRun.encoderAlone(fastJob("multitrack.mkv", segment: Segment(start: 0.2, frames: 8)))
        #expect(result.run.frames == 8)
        #expect(result.run.videoBytes > 0)
        #expect(result.run.cpuCount >= 1)
        #expect(result.heldFrameBytes >= 8 * 320 * 240 * 3)
        #expect((25...60).contains(result.quality.psnrY))
        #expect(result.quality.ssimY > 0.8 && result.quality.ssimY < 1)
    }

    @Test("the pipeline run encodes the segment from the file and counts the video it wrote")
    func pipeline() throws {
        let scratch = try Scratch()
        let output = scratch.path("pipeline.mkv")
        let run = try BenchRun.pipeline(fastJob("multitrack.mkv", segment: Segment(start: 0.2, frames: 8)), output: output)
        #expect(run.frames == 8)
        let written = try VideoStreamSize(path: output)
        #expect(written.frames == 8 && written.bytes == run.videoBytes)
    }
}
