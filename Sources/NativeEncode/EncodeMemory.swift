/// What one SVT-AV1 encode (one job, or one chunk worker) is expected to hold at peak: the resident
/// memory of its process, known before it starts from its picture size, bit depth, thread budget
/// and preset. For memory admission, until jobs of the class have been measured.
///
/// SVT-AV1 1.4.1 sizes its picture pools and its thread counts by a class of its thread budget
/// (EbEncHandle.c, `load_default_buffer_configuration_settings`: 1, 2, 3-5, 6-11, 12-23, 24-47, 48
/// and more), so the model is one line per class, fixed bytes plus bytes per pixel, fitted to peaks
/// measured at preset 8, 10-bit (360p, 720p and 1080p; `benchmarks/encode-memory.sh`, and for
/// budgets above this machine's 2 CPUs the same encodes with `sysconf(_SC_NPROCESSORS_ONLN)` made to
/// answer the budget, since SVT-AV1 counts no more CPUs than that). Other presets scale the line by
/// the ratio measured at 720p in the same class (presets 4 and 8; interpolated between, the nearest
/// one's outside), 8-bit output by the ratio measured at 720p with 2 threads. The lines are within
/// 8% of every peak they were fitted to (most within 3%). The ratios were checked at other sizes
/// only with 2 threads (within 3% at 360p and 1080p). Slower presets get preset 4's figure: preset
/// 3 peaked at 456 MiB where preset 4 did at 462 (720p, 2 threads); presets 2 and below were not
/// measured.
public enum EncodeMemory {
    /// Peak resident bytes: `fixedMiB` plus `bytesPerPixel` for each pixel of the picture.
    struct Line {
        var fixedMiB: Double
        var bytesPerPixel: Double

        func bytes(pixels: Int) -> Double { fixedMiB * 1_048_576 + bytesPerPixel * Double(pixels) }
    }

    /// SVT-AV1 1.4.1's classes of thread budget, as its buffer and thread counts step.
    enum ThreadClass: CaseIterable {
        case one, two, upToFive, upToEleven, upToTwentyThree, upToFortySeven, more

        init(threads: Int) {
            self = switch threads {
            case ..<2: .one
            case 2: .two
            case 3..<6: .upToFive
            case 6..<12: .upToEleven
            case 12..<24: .upToTwentyThree
            case 24..<48: .upToFortySeven
            default: .more
            }
        }

        /// Preset 8, 10-bit: least-squares lines through the medians at 360p, 720p and 1080p.
        var preset8: Line {
            switch self {
            case .one: Line(fixedMiB: 112, bytesPerPixel: 238)
            case .two: Line(fixedMiB: 111, bytesPerPixel: 301)
            case .upToFive: Line(fixedMiB: 126, bytesPerPixel: 416)
            case .upToEleven: Line(fixedMiB: 255, bytesPerPixel: 568)
            case .upToTwentyThree: Line(fixedMiB: 338, bytesPerPixel: 695)
            case .upToFortySeven: Line(fixedMiB: 318, bytesPerPixel: 775)
            case .more: Line(fixedMiB: 324, bytesPerPixel: 1271)
            }
        }

        /// Peak at preset 4 over peak at preset 8, 720p 10-bit (one encode each above 2 threads).
        var preset4Ratio: Double {
            switch self {
            case .one: 1.22
            case .two: 1.23
            case .upToFive: 1.21
            case .upToEleven: 1.45
            case .upToTwentyThree: 2.06
            case .upToFortySeven: 2.00
            case .more: 1.33
            }
        }
    }

    /// Peak with 8-bit output over peak with 10-bit, 720p, 2 threads, at presets 8 and 4.
    static let eightBitRatio = (preset8: 0.84, preset4: 0.90)

    /// The peak resident bytes of one encode.
    public static func estimate(width: Int, height: Int, bitDepth: Int, threads: Int, preset: Int) -> Int {
        let threadClass = ThreadClass(threads: threads)
        // 0 at preset 8 and faster, 1 at preset 4 and slower.
        let slowness = Double(min(max(8 - preset, 0), 4)) / 4
        let presetRatio = 1 + (threadClass.preset4Ratio - 1) * slowness
        let depthRatio = bitDepth > 8 ? 1 : eightBitRatio.preset8 + (eightBitRatio.preset4 - eightBitRatio.preset8) * slowness
        let pixels = max(width, 1) * max(height, 1)
        return Int(threadClass.preset8.bytes(pixels: pixels) * presetRatio * depthRatio)
    }
}
