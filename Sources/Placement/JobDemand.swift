import Foundation

/// How many CPUs one encode should get, from the tuning guide: 2160p at preset 4 or slower wants
/// about 24 (20-30), 1080p at preset 4 about 16 (12-20), 720p at preset 5 about 10 (8-12).
public struct JobDemand: Sendable, Equatable {
    /// How many CPUs the job should get.
    public let wantedCPUs: Int
    /// The fewest CPUs worth starting the job on; with fewer free it waits.
    public let minimumCPUs: Int

    public init(width: Int, height: Int, preset: Int) {
        let row = Self.guide(SizeStep(width: width, height: height))
        // Faster presets do less work per frame and keep fewer threads busy: each step past the
        // guide's preset asks for about 15% fewer CPUs. An estimate until measurements replace it.
        let scale = pow(0.85, Double(max(0, preset - row.preset)))
        wantedCPUs = max(1, Int((Double(row.wanted) * scale).rounded()))
        minimumCPUs = max(1, Int((Double(row.minimum) * scale).rounded()))
    }

    /// The guide's row for a size step: CPUs wanted and the least worth it, at the guide's preset.
    /// 1440p and below-720p are not in the guide: 1440p sits between its neighbours, and smaller
    /// pictures scale down from 720p by area.
    private static func guide(_ bucket: SizeStep) -> (wanted: Int, minimum: Int, preset: Int) {
        switch bucket {
        case .uhd, .uhd8K: (24, 20, 4)
        case .qhd: (20, 16, 4)
        case .fullHD: (16, 12, 4)
        case .hd: (10, 8, 5)
        case .sd: (6, 4, 5)
        }
    }
}
