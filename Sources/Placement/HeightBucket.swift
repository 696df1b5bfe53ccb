/// The tuning guide's picture-height steps; a height belongs to the largest step it reaches.
enum HeightBucket: Int, Sendable, CaseIterable {
    case sd = 0
    case hd = 720
    case fullHD = 1080
    case qhd = 1440
    case uhd = 2160
    case uhd8K = 4320

    init(height: Int) {
        self = Self.allCases.last { height >= $0.rawValue } ?? .sd
    }
}
