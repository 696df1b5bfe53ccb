import Foundation
import LinuxSupport
import NativeEncode

/// One timed run: what it took and what it produced.
public struct RunMeasurement: Sendable, Codable, Equatable {
    public var frames: Int
    public var wallSeconds: Double
    /// User plus system time of every thread.
    public var cpuSeconds: Double
    /// CPUs the run was allowed; utilisation is relative to them.
    public var cpuCount: Int
    public var peakRSSBytes: Int
    /// Encoded video only: no container, no audio.
    public var videoBytes: Int64
    public var fps: Double
    /// CPU time over wall time × CPUs: 1 means every allowed CPU was busy throughout.
    public var cpuUtilisation: Double

    public init(frames: Int, wallSeconds: Double, cpuSeconds: Double, cpuCount: Int, peakRSSBytes: Int, videoBytes: Int64) {
        self.frames = frames
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.cpuCount = cpuCount
        self.peakRSSBytes = peakRSSBytes
        self.videoBytes = videoBytes
        fps = wallSeconds > 0 ? Double(frames) / wallSeconds : 0
        cpuUtilisation = wallSeconds > 0 && cpuCount > 0 ? cpuSeconds / (wallSeconds * Double(cpuCount)) : 0
    }

    /// A child process seen from outside (whole process) and the output it wrote.
    public init(_ outcome: ChildOutcome, output: VideoStreamSize, cpuCount: Int) {
        self.init(frames: output.frames, wallSeconds: outcome.wallSeconds, cpuSeconds: outcome.cpuSeconds,
                  cpuCount: cpuCount, peakRSSBytes: outcome.peakRSSBytes, videoBytes: output.bytes)
    }

    /// The run with the median wall time, so that its speed figures come from one real run, but
    /// with the median of all the runs' peak RSS: peaks vary with thread timing, not with speed.
    public static func median(_ runs: [RunMeasurement]) -> RunMeasurement? {
        guard var median = runs.middle(by: { $0.wallSeconds < $1.wallSeconds }) else { return nil }
        median.peakRSSBytes = runs.map(\.peakRSSBytes).middle(by: <)!
        return median
    }
}

extension Array {
    /// The middle element in the given order (the lower middle one of an even count); nil when empty.
    func middle(by areInIncreasingOrder: (Element, Element) -> Bool) -> Element? {
        isEmpty ? nil : sorted(by: areInIncreasingOrder)[(count - 1) / 2]
    }
}

/// What the encoder-alone measurement reports.
public struct EncoderAloneResult: Sendable, Codable, Equatable {
    /// The encode alone: from creating the encoder to tearing it down.
    public var run: RunMeasurement
    public var quality: QualityScores
    /// Memory the decoded segment occupied meanwhile (part of the run's peak RSS).
    public var heldFrameBytes: Int
}

/// The video stream of a media file, counted packet by packet without decoding.
public struct VideoStreamSize: Sendable, Equatable {
    public var frames: Int
    public var bytes: Int64

    public init(path: String) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let packet = try Packet()
        var frames = 0, bytes: Int64 = 0
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                if packet.streamIndex == videoIndex {
                    frames += 1
                    bytes += Int64(packet.pointer.pointee.size)
                }
                packet.unref()
            case .endOfFile: break reading
            case .failed(let failure): throw .library(failure)
            }
        }
        self.frames = frames
        self.bytes = bytes
    }
}
