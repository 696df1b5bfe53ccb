@_exported import TestSupport
@testable import Bench
import Foundation
@testable import NativeEncode

/// Runs a tool (ffmpeg, ffprobe) to completion and returns what it printed.
func runTool(_ executable: String, _ arguments: [String], in scratch: Scratch) throws -> (status: Int32?, stdout: String, stderr: String) {
    let out = scratch.path("tool-\(UUID().uuidString).out"), err = scratch.path("tool-\(UUID().uuidString).err")
    let outcome = try ChildProcesses.run([ChildCommand(executable: executable, arguments: arguments,
                                                       standardOutput: out, standardError: err)])[0]
    return (outcome.exitStatus, try String(contentsOfFile: out, encoding: .utf8), try String(contentsOfFile: err, encoding: .utf8))
}

/// Presentation times (in stream time-base units) of a file's video frames, as ffprobe decodes them.
func probedFramePts(_ path: String, in scratch: Scratch) throws -> [Int64] {
    let probe = try runTool("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts",
                                                 "-of", "csv=p=0", path], in: scratch)
    return probe.stdout.split(whereSeparator: \.isNewline).compactMap { Int64($0.trimmingCharacters(in: .init(charactersIn: ","))) }
}

/// Fast settings for tests: quality is not what they check.
func fastJob(_ fixture: String, segment: Segment, bitDepth: Int = 10) -> BenchJob {
    BenchJob(input: Fixtures.path(fixture), segment: segment, encoder: .svt, preset: 12, crf: 40,
             keyframeInterval: 240, bitDepth: bitDepth, threads: 2, cpus: nil)
}
