import CFFmpeg
@testable import NativeEncode
import Testing

/// Side data as files really carry it: parts missing, zero denominators, absurd values. Each part
/// is kept only when present and sane; nothing traps (`av_q2d({0, 0})` is NaN, `Int(NaN)` traps).
@Suite("Mastering display side data, whatever its values")
struct MasteringDisplayTests {
    static func metadata(primaries: Bool, luminance: Bool, chroma: AVRational = AVRational(num: 1, den: 3),
                         peak: AVRational = AVRational(num: 1000, den: 1)) -> AVMasteringDisplayMetadata {
        var side = AVMasteringDisplayMetadata()
        side.display_primaries = ((chroma, chroma), (chroma, chroma), (chroma, chroma))
        side.white_point = (chroma, chroma)
        side.max_luminance = peak
        side.min_luminance = AVRational(num: 1, den: 200)
        side.has_primaries = primaries ? 1 : 0
        side.has_luminance = luminance ? 1 : 0
        return side
    }

    @Test("only luminance: primaries unset, not NaN")
    func luminanceOnly() throws {
        var side = Self.metadata(primaries: false, luminance: true)
        side.display_primaries = ((AVRational(), AVRational()), (AVRational(), AVRational()), (AVRational(), AVRational()))
        let display = try #require(MasteringDisplay(side))
        #expect(display.chromaticity == nil && !display.isComplete)
        #expect(display.luminance == .init(max: 1000, min: 0.005))
    }

    @Test("a part flagged present but holding {0, 0}, x/0 or absurd values is left unset", arguments: [
        (AVRational(num: 0, den: 0), AVRational(num: 1000, den: 1), true),
        (AVRational(num: 1, den: 0), AVRational(num: 1, den: 0), false),
        (AVRational(num: -1, den: 3), AVRational(num: Int32.max, den: 1), false),
        (AVRational(num: 7, den: 3), AVRational(num: -5, den: 1), false),
    ])
    func insaneParts(chroma: AVRational, peak: AVRational, luminanceKept: Bool) {
        let display = MasteringDisplay(Self.metadata(primaries: true, luminance: true, chroma: chroma, peak: peak))
        #expect(display?.chromaticity == nil)
        #expect((display?.luminance != nil) == luminanceKept)
    }

    @Test("nothing flagged present: no mastering display at all")
    func nothingPresent() {
        #expect(MasteringDisplay(Self.metadata(primaries: false, luminance: false)) == nil)
    }
}
