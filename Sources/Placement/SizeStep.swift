/// The tuning guide's picture-size steps (720p, 1080p, ...), told apart by pixel count, not height:
/// a 3840x1600 scope film is 4K work, not 1440p. A picture belongs to the step whose 16:9 area
/// is nearest to its own on a ratio scale, so each boundary sits at the geometric mean of two
/// neighbouring areas (1920x800 is 1080p, 1280x536 is 720p).
enum SizeStep: Int, Sendable, CaseIterable {
    case sd = 0
    case hd = 720
    case fullHD = 1080
    case qhd = 1440
    case uhd = 2160
    case uhd8K = 4320

    init(width: Int, height: Int) {
        let pixels = Double(max(0, width)) * Double(max(0, height))
        let steps = Self.allCases
        var step = steps[0]
        for (lower, upper) in zip(steps, steps.dropFirst()) where pixels >= (lower.area * upper.area).squareRoot() {
            step = upper
        }
        self = step
    }

    /// The step's 16:9 picture area in pixels; SD stands for 854x480.
    private var area: Double {
        switch self {
        case .sd: 854 * 480
        default: Double(rawValue) * Double(rawValue) * 16 / 9
        }
    }
}
