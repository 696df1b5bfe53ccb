import Foundation
import NativeEncode
import Testing

/// The generated test media (scripts/make-fixtures.sh), found from this file's location.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String {
        root.appendingPathComponent("fixtures/generated").appendingPathComponent(name).path
    }
}

/// A fresh folder per test, removed afterwards.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs a program and collects what it printed.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String

    @discardableResult
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a chatty program cannot block.
        let errData = ReadAll(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData.wait(), as: UTF8.self)
    }

    /// Reads a pipe on another thread.
    final class ReadAll: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        func wait() -> Data { done.wait(); return data }
    }
}

/// ffprobe, the independent reader the tests check outputs with (never used by the engine).
enum Probe {
    static func json(_ path: String, _ arguments: [String]) throws -> [String: Any] {
        let run = try Run("/usr/bin/ffprobe", ["-v", "error", "-of", "json"] + arguments + [path])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw ProbeError(message: "ffprobe failed on \(path): \(run.stderr)")
        }
        return object
    }

    static func streams(_ path: String) throws -> [[String: Any]] {
        try json(path, ["-show_streams"])["streams"] as? [[String: Any]] ?? []
    }

    static func format(_ path: String) throws -> [String: Any] {
        try json(path, ["-show_format", "-show_chapters"])
    }

    /// Presentation times of every video frame, as ffprobe reads them.
    static func videoFrameTimes(_ path: String) throws -> [Double] {
        let frames = try json(path, ["-select_streams", "v:0", "-show_entries", "frame=pts_time"])["frames"] as? [[String: Any]] ?? []
        return frames.compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    /// Decodes the whole video with libdav1d; returns ffmpeg's complaints (empty when clean) and the frame count.
    static func decodeWithDav1d(_ path: String) throws -> (errors: String, frames: Int) {
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-xerror", "-c:v:0", "libdav1d", "-i", path,
                                              "-map", "0:v:0", "-f", "framemd5", "-"])
        let frames = run.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        return (run.status == 0 ? run.stderr : "exit \(run.status): \(run.stderr)", frames)
    }

    /// Lines ffmpeg's showinfo filter prints for the first decoded frame (HDR side data).
    static func firstFrameInfo(_ path: String, decoder: String? = nil) throws -> String {
        let codec = decoder.map { ["-c:v", $0] } ?? []
        return try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner"] + codec + ["-i", path, "-vf", "showinfo",
                                            "-frames:v", "1", "-f", "null", "-"]).stderr
    }

    /// Start time of each cue with text in the first subtitle stream, in seconds. (MP4 marks
    /// gaps between cues with empty two-byte samples; those are not cues.)
    static func cueStarts(_ path: String) throws -> [Double] {
        let packets = try json(path, ["-select_streams", "s:0", "-show_entries", "packet=pts_time,size"])["packets"] as? [[String: Any]] ?? []
        return packets.filter { (($0["size"] as? String).flatMap(Int.init) ?? 0) > 2 }
            .compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    /// Time of the first packet of the first stream of a type: where that stream really starts,
    /// encoder priming included (MP4 hides AAC priming behind an edit list, Matroska does not).
    static func firstPacketTime(_ path: String, _ selector: String) throws -> Double? {
        let packets = try json(path, ["-select_streams", selector, "-read_intervals", "%+#1", "-show_entries", "packet=pts_time"])["packets"] as? [[String: Any]] ?? []
        return packets.first.flatMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    struct ProbeError: Error, CustomStringConvertible { let message: String; var description: String { message } }
}

extension [String: Any] {
    func tag(_ key: String) -> String? {
        guard let tags = self["tags"] as? [String: Any] else { return nil }
        return tags.first { $0.key.lowercased() == key.lowercased() }?.value as? String
    }

    func disposition(_ key: String) -> Int { (self["disposition"] as? [String: Any])?[key] as? Int ?? 0 }
    var codecType: String { self["codec_type"] as? String ?? "" }
    var codecName: String { self["codec_name"] as? String ?? "" }
}

/// Fast settings for tests: quality is not what they check.
func fastSettings(_ change: (inout EncodeSettings) -> Void = { _ in }) -> EncodeSettings {
    var settings = EncodeSettings()
    settings.preset = 12
    settings.crf = 40
    change(&settings)
    return settings
}

/// Encodes a fixture into a scratch folder with fast settings.
func encodeFixture(_ name: String, in scratch: Scratch, settings: EncodeSettings = fastSettings(),
                   observer: ProgressObserver? = nil) throws -> (summary: EncodeSummary, output: String) {
    let output = scratch.path((name as NSString).deletingPathExtension + ".av1.mkv")
    let summary = try Transcoder(settings: settings).encode(input: Fixtures.path(name), output: output, observer: observer)
    return (summary, output)
}

/// scripts/fault-injection/eio-after.c built for this test run: with it preloaded, reads of one
/// file fail with EIO past a byte offset (a NAS or USB disk giving up part-way through a file).
enum ReadFault {
    static let library: String = {
        let source = Fixtures.root.appendingPathComponent("scripts/fault-injection/eio-after.c").path
        let built = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-eio-after-\(getpid()).so").path
        let cc = try? Run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-o", built, source, "-ldl"])
        precondition(cc?.status == 0, "building the EIO shim failed: \(cc?.stderr ?? "cc not found")")
        return built
    }()

    /// The environment that makes reads of `path` fail once `fraction` of its bytes were read.
    static func environment(failing path: String, after fraction: Double) -> [String: String] {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return ["LD_PRELOAD": library, "AV1D_EIO_PATH": path, "AV1D_EIO_AFTER": String(Int(Double(size) * fraction))]
    }
}
