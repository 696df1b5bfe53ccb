import Foundation
@testable import Bench
@testable import NativeEncode
import Testing

@Suite("Segment selection")
struct SegmentTests {
    @Test("default: 240 frames from 10% in")
    func defaultSegment() {
        let segment = SegmentRequest().resolve(durationSeconds: 15.84, frameRate: 25)
        #expect(segment == Segment(start: 1.584, frames: 240))
    }

    @Test("the default start moves earlier so the segment fits, down to the file's start")
    func defaultStartFits() {
        #expect(SegmentRequest().resolve(durationSeconds: 10, frameRate: 25) == Segment(start: 0.4, frames: 240))
        #expect(SegmentRequest().resolve(durationSeconds: 5.28, frameRate: 25) == Segment(start: 0, frames: 240))
    }

    @Test("--seconds becomes frames at the file's rate; an explicit start is kept")
    func explicitRequests() {
        #expect(SegmentRequest(seconds: 2.5).resolve(durationSeconds: 100, frameRate: 24) == Segment(start: 10, frames: 60))
        #expect(SegmentRequest(start: 3.25, frames: 100).resolve(durationSeconds: 4, frameRate: 25)
                == Segment(start: 3.25, frames: 100))
    }

    @Test("decodes exactly the frames asked for, from the first at or after the start (seek past a keyframe)")
    func decodesRequestedFrames() throws {
        let scratch = try Scratch()
        let path = Fixtures.path("bbb720-loop.mp4")
        var settings = EncodeSettings()
        // Keyframes at 5.28 s and 10.56 s: the seek lands on 5.28 and five frames are dropped.
        settings.segment = Segment(start: 5.5, frames: 12)
        let segment = try DecodedSegment(path: path, settings: settings, threads: 2)
        let expected = try probedFramePts(path, in: scratch).filter { $0 >= 70_400 }.prefix(12)  // 5.5 s at 1/12800
        #expect(segment.frames.count == 12)
        #expect(framePts(segment.frames) == Array(expected))
        segment.frames.withFrame(at: 0) { #expect(LumaPlane($0).bitDepth == 10) }
        #expect(segment.config.width == 1280 && segment.config.height == 720 && segment.config.bitDepth == 10)
    }

    @Test("a segment running past the end holds the frames there are")
    func segmentPastTheEnd() throws {
        var settings = EncodeSettings()
        settings.segment = Segment(start: 1.8, frames: 10)
        let segment = try DecodedSegment(path: Fixtures.path("multitrack.mkv"), settings: settings, threads: 2)
        // Frames at 0.021 s + 40 ms steps: 1.821 ... 1.981.
        #expect(framePts(segment.frames) == [1821, 1861, 1901, 1941, 1981])
    }

    @Test("the start counts from the file's start, as ffmpeg's -ss does (video starting at 1 s)")
    func startCountsFromTheFile() throws {
        let scratch = try Scratch()
        var settings = EncodeSettings()
        settings.segment = Segment(start: 0, frames: 3)
        let path = Fixtures.path("offset.mp4")
        let segment = try DecodedSegment(path: path, settings: settings, threads: 2)
        #expect(framePts(segment.frames) == Array(try probedFramePts(path, in: scratch).prefix(3)))
    }

    @Test("the engine encodes only the segment: frame count and first timestamp")
    func transcoderHonoursSegment() throws {
        let scratch = try Scratch()
        let output = scratch.path("segment.mkv")
        let job = fastJob("multitrack.mkv", segment: Segment(start: 0.5, frames: 10))
        let summary = try Transcoder(settings: job.settings).encode(input: job.input, output: output)
        #expect(summary.framesDecoded == 10)
        #expect(summary.framesEncoded == 10)
        let times = try probedFramePts(output, in: scratch)
        #expect(times.count == 10)
        // 0.021 + 40 ms steps: the first at or after 0.5 s is 0.501 s.
        #expect(times.first == 501)
    }

    private func framePts(_ frames: borrowing FrameStore) -> [Int64] {
        (0..<frames.count).map { index in frames.withFrame(at: index) { $0.pointer.pointee.pts } }
    }
}
