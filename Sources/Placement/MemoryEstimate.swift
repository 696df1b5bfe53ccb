import Foundation

/// Jobs whose memory use is alike: same picture-size step (by pixel count), output bit depth and preset.
public struct JobClass: Sendable, Hashable, CustomStringConvertible {
    let bucket: SizeStep
    public let bitDepth: Int
    public let preset: Int

    public init(width: Int, height: Int, bitDepth: Int, preset: Int) {
        bucket = SizeStep(width: width, height: height)
        self.bitDepth = bitDepth
        self.preset = preset
    }

    /// Also the key in the memory history file, e.g. `2160p-10bit-preset4`.
    public var description: String {
        let height = bucket == .sd ? "sd" : "\(bucket.rawValue)p"
        return "\(height)-\(bitDepth)bit-preset\(preset)"
    }
}

/// The memory one job is expected to need at peak.
public struct MemoryEstimate: Sendable, Equatable {
    /// Where an estimate comes from.
    public enum Basis: Sendable, Equatable {
        /// The tuning guide's figure: nothing of this class has finished yet.
        case guide
        /// Learned from the peak RSS of this many finished jobs of the class.
        case learned(jobs: Int)
    }

    public let bytes: Int
    public let basis: Basis

    public init(bytes: Int, basis: Basis) {
        self.bytes = bytes
        self.basis = basis
    }

    /// The upper end of the guide's range for the class's height (720p 0.5-1 GB, 1080p 1-2 GB,
    /// 1440p 2-3 GB, 2160p 2-4 GB, 4320p 4-8 GB), read as GiB to err high. The guide gives one figure
    /// per height; bit depth and preset only tell classes apart once jobs are measured.
    public static func guide(for jobClass: JobClass) -> MemoryEstimate {
        let gibibytes = switch jobClass.bucket {
        case .sd, .hd: 1
        case .fullHD: 2
        case .qhd: 3
        case .uhd: 4
        case .uhd8K: 8
        }
        return MemoryEstimate(bytes: gibibytes << 30, basis: .guide)
    }
}

/// Bytes for people: "3.5 GiB".
func gibibytes(_ bytes: Int) -> String {
    String(format: "%.1f GiB", Double(bytes) / Double(1 << 30))
}
