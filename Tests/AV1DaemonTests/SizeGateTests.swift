import AV1Daemon
import Testing

@Suite("The size gate")
struct SizeGateTests {
    @Test("replaces only below max_size_ratio; larger and not-small-enough outputs keep the original", arguments: [
        (Int64(1000), Int64(899), "replace"),
        (1000, 900, "above"),  // exactly at the limit: kept, as the daemon always did (new < original x ratio)
        (1000, 950, "above"),
        (1000, 1000, "above"),  // the same size is not larger
        (1000, 1521, "larger"),
    ])
    func verdicts(original: Int64, new: Int64, expected: String) {
        let verdict = SizeGate(maxSizeRatio: 0.9).verdict(originalBytes: original, newBytes: new)
        let kind = switch verdict {
        case .replace: "replace"
        case .aboveLimit: "above"
        case .larger: "larger"
        }
        #expect(kind == expected)
        #expect(verdict.replacesOriginal == (expected == "replace"))
        #expect(verdict.ratio == Double(new) / Double(original))
    }

    @Test("says in one line what the daemon would do, with the ratio and the limit")
    func sentences() {
        let gate = SizeGate()
        #expect(gate.maxSizeRatio == 0.90, "the daemon's default")
        #expect(gate.sentence(for: gate.verdict(originalBytes: 1000, newBytes: 312))
                == "the daemon would replace the original: 0.312 of its size, below max_size_ratio 0.90")
        #expect(gate.sentence(for: gate.verdict(originalBytes: 1000, newBytes: 940))
                == "above max_size_ratio 0.90 (0.940 of the original): the daemon would keep the original")
        #expect(gate.sentence(for: gate.verdict(originalBytes: 1000, newBytes: 1521))
                == "larger than the input (1.521x): the daemon would keep the original (max_size_ratio 0.90)")
    }
}
