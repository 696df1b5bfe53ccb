/// The source's keyframes that mark scene cuts, told from those its encoder placed at a regular
/// distance. A full AV1 encode puts its keyframes at its own interval, so a cut between them is
/// coded from pictures of the previous scene and costs about a keyframe more than the samples
/// (each starting on a keyframe of its own) show: measured on seven 42 s titles of eight scenes
/// at preset 8, CRF 30, the samples fell short by 6 to 13 keyframes' worth.
enum SceneCuts {
    /// The longest regular GOP taken for a source's structure (broadcast 12-15 pictures, streaming
    /// 2 s); a longer common distance is more likely a title's scene length.
    static let longestRegularGOP = 2.5
    /// An encoder's maximum keyframe distance (x264's and x265's 250 pictures are 10 s at 25 fps):
    /// a keyframe this far from the last one may be there for the distance alone.
    static let maximumDistance = 8.0
    /// Pictures by which a regular distance may differ (an open GOP's first, a field pair).
    static let tolerance = 2

    /// The cuts among keyframes at `positions` (picture numbers in display order, ascending): every
    /// keyframe but the first, except those at the source's regular GOP (the most common distance,
    /// when it is short) or after `maximumDistance` without one.
    static func count(keyframes positions: [Int], frameRate: Double) -> Int {
        guard positions.count > 1, frameRate > 0 else { return 0 }
        let distances = zip(positions, positions.dropFirst()).map { $1 - $0 }
        var counts: [Int: Int] = [:]
        for distance in distances { counts[distance, default: 0] += 1 }
        let common = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key
        let regular: Int? = Double(common) / frameRate <= longestRegularGOP ? common : nil
        return distances.count { distance in
            if let regular, abs(distance - regular) <= tolerance { return false }
            return Double(distance) / frameRate < maximumDistance
        }
    }
}
