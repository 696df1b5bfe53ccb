import Foundation

/// Runs a program and collects what it printed.
public struct Run {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    @discardableResult
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
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
public enum Probe {
    public static func json(_ path: String, _ arguments: [String]) throws -> [String: Any] {
        let run = try Run("/usr/bin/ffprobe", ["-v", "error", "-of", "json"] + arguments + [path])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw ProbeError(message: "ffprobe failed on \(path): \(run.stderr)")
        }
        return object
    }

    public static func streams(_ path: String) throws -> [[String: Any]] {
        try json(path, ["-show_streams"])["streams"] as? [[String: Any]] ?? []
    }

    public static func format(_ path: String) throws -> [String: Any] {
        try json(path, ["-show_format", "-show_chapters"])
    }

    /// Presentation times of every video frame, as ffprobe reads them.
    public static func videoFrameTimes(_ path: String) throws -> [Double] {
        let frames = try json(path, ["-select_streams", "v:0", "-show_entries", "frame=pts_time"])["frames"] as? [[String: Any]] ?? []
        return frames.compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    /// Decodes the whole video with libdav1d; returns ffmpeg's complaints (empty when clean) and the frame count.
    public static func decodeWithDav1d(_ path: String) throws -> (errors: String, frames: Int) {
        let run = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-xerror", "-c:v:0", "libdav1d", "-i", path,
                                              "-map", "0:v:0", "-f", "framemd5", "-"])
        let frames = run.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        return (run.status == 0 ? run.stderr : "exit \(run.status): \(run.stderr)", frames)
    }

    /// Lines ffmpeg's showinfo filter prints for the first decoded frame (HDR side data).
    public static func firstFrameInfo(_ path: String, decoder: String? = nil) throws -> String {
        let codec = decoder.map { ["-c:v", $0] } ?? []
        return try Run("/usr/bin/ffmpeg", ["-nostdin", "-hide_banner"] + codec + ["-i", path, "-vf", "showinfo",
                                            "-frames:v", "1", "-f", "null", "-"]).stderr
    }

    /// Start time of each cue with text in the first subtitle stream, in seconds. (MP4 marks
    /// gaps between cues with empty two-byte samples; those are not cues.)
    public static func cueStarts(_ path: String) throws -> [Double] {
        let packets = try json(path, ["-select_streams", "s:0", "-show_entries", "packet=pts_time,size"])["packets"] as? [[String: Any]] ?? []
        return packets.filter { (($0["size"] as? String).flatMap(Int.init) ?? 0) > 2 }
            .compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    /// Time of the first packet of the first stream of a type: where that stream really starts,
    /// encoder priming included (MP4 hides AAC priming behind an edit list, Matroska does not).
    public static func firstPacketTime(_ path: String, _ selector: String) throws -> Double? {
        let packets = try json(path, ["-select_streams", selector, "-read_intervals", "%+#1", "-show_entries", "packet=pts_time"])["packets"] as? [[String: Any]] ?? []
        return packets.first.flatMap { ($0["pts_time"] as? String).flatMap(Double.init) }
    }

    public struct ProbeError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }
}

extension [String: Any] {
    public func tag(_ key: String) -> String? {
        guard let tags = self["tags"] as? [String: Any] else { return nil }
        return tags.first { $0.key.lowercased() == key.lowercased() }?.value as? String
    }

    public func disposition(_ key: String) -> Int { (self["disposition"] as? [String: Any])?[key] as? Int ?? 0 }
    public var codecType: String { self["codec_type"] as? String ?? "" }
    public var codecName: String { self["codec_name"] as? String ?? "" }
}
