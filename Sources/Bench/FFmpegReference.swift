import Foundation
import LinuxSupport
import NativeEncode

/// `ffmpeg -c:v libsvtav1` given the settings of one of our jobs: the same segment (`-ss` before
/// `-i` and `-frames:v`, as our segment counts), preset, CRF, keyframe interval, mini-GOP, bit
/// depth and thread budget; audio copied, as our engine copies it.
public enum FFmpegReference {
    public static func arguments(for job: BenchJob, output: String) -> [String] {
        let settings = job.settings
        let seek = job.segment.start > 0 ? ["-ss", String(format: "%.6f", job.segment.start)] : []
        return ["-nostdin", "-hide_banner", "-nostats", "-y"] + seek + ["-i", job.input,
                "-map", "0:v:0", "-map", "0:a?", "-c:a", "copy", "-frames:v", String(job.segment.frames),
                "-c:v", "libsvtav1", "-preset", String(job.preset), "-crf", String(job.crf),
                "-g", String(job.keyframeInterval), "-pix_fmt", job.bitDepth > 8 ? "yuv420p10le" : "yuv420p",
                "-svtav1-params", "lp=\(job.threads):hierarchical-levels=\(settings.hierarchicalLevels)",
                output]
    }

    /// The `ffmpeg` program on `PATH`, if there is one.
    public static func locate(searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String? {
        searchPath.split(separator: ":").map { "\($0)/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The lines in which SVT-AV1 describes the configuration it runs with (it prints them at
/// `SVT_LOG=3`): two runs that print the same lines ran with the same settings, as far as SVT
/// reports them.
public enum SVTConfigLines {
    public static func extract(fromLog log: String) -> [String] {
        log.split(whereSeparator: \.isNewline).compactMap { line in
            guard let marker = line.range(of: "Svt[info]: ") else { return nil }
            let text = line[marker.upperBound...]
            guard ["SVT [config]", "Number of logical cores", "Number of PPCS"].contains(where: text.hasPrefix) else { return nil }
            // Tabs and padding differ between builds; the words and numbers are what count.
            return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
    }
}

/// SVT-AV1's configuration lines from our pipeline and from ffmpeg, side by side.
public struct ConfigComparison: Sendable, Codable, Equatable {
    public var ours: [String]
    public var ffmpeg: [String]
    public var identical: Bool

    public init(ours: [String], ffmpeg: [String]) {
        self.ours = ours
        self.ffmpeg = ffmpeg
        identical = !ours.isEmpty && ours == ffmpeg
    }
}
