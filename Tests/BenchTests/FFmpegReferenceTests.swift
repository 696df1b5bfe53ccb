@testable import Bench
@testable import NativeEncode
import Testing

@Suite("ffmpeg reference")
struct FFmpegReferenceTests {
    let job = BenchJob(input: "/media/in.mp4", segment: Segment(start: 1.584, frames: 240), encoder: .svt, preset: 6,
                       crf: 30, keyframeInterval: 240, bitDepth: 10, threads: 2, cpus: nil)

    @Test("ffmpeg is given our segment, preset, CRF, keyframe interval, mini-GOP, bit depth and threads")
    func equivalentArguments() {
        #expect(FFmpegReference.arguments(for: job, output: "/tmp/out.mkv") == [
            "-nostdin", "-hide_banner", "-nostats", "-y", "-ss", "1.584000", "-i", "/media/in.mp4",
            "-map", "0:v:0", "-map", "0:a?", "-c:a", "copy", "-frames:v", "240",
            "-c:v", "libsvtav1", "-preset", "6", "-crf", "30", "-g", "240", "-pix_fmt", "yuv420p10le",
            "-svtav1-params", "lp=2:hierarchical-levels=4", "/tmp/out.mkv",
        ])
        // The mini-GOP is the engine's own setting, not a copy of it.
        #expect(job.settings.hierarchicalLevels == 4)
    }

    @Test("8-bit output and a segment from the file's start")
    func eightBitFromStart() {
        var job = job
        job.bitDepth = 8
        job.segment.start = 0
        let arguments = FFmpegReference.arguments(for: job, output: "out.mkv")
        #expect(!arguments.contains("-ss"))
        #expect(arguments.contains("yuv420p") && !arguments.contains("yuv420p10le"))
    }

    @Test("SVT-AV1's configuration lines are picked out of a log, spacing normalised")
    func configurationLines() {
        let log = """
            Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':
            Svt[info]: -------------------------------------------
            Svt[info]: SVT [version]:\tSVT-AV1 Encoder Lib v1.4.1
            Svt[info]: Number of logical cores available: 2
            Svt[info]: Number of PPCS 37
            Svt[info]: [asm level selected : up to avx2]
            Svt[info]: SVT [config]: preset / tune / pred struct \t\t\t\t\t: 6 / PSNR / random access
            Svt[info]: SVT [config]: gop size / mini-gop size / key-frame type \t\t\t: 240 / 16 / key frame
            """
        #expect(SVTConfigLines.extract(fromLog: log) == [
            "Number of logical cores available: 2",
            "Number of PPCS 37",
            "SVT [config]: preset / tune / pred struct : 6 / PSNR / random access",
            "SVT [config]: gop size / mini-gop size / key-frame type : 240 / 16 / key frame",
        ])
    }

    @Test("configurations compare equal only when both runs printed the same lines")
    func comparison() {
        #expect(ConfigComparison(ours: ["a", "b"], ffmpeg: ["a", "b"]).identical)
        #expect(!ConfigComparison(ours: ["a", "b"], ffmpeg: ["a", "c"]).identical)
        #expect(!ConfigComparison(ours: [], ffmpeg: []).identical)
    }
}
