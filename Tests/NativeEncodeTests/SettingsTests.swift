import NativeEncode
import Testing
import LinuxSupport

@Suite("Settings")
struct SettingsTests {
    @Test("the tuning guide's quality table", arguments: [
        (2160, 21, 3), (1440, 22, 4), (1080, 23, 4), (720, 24, 5), (480, 24, 5),
    ])
    func qualityTable(height: Int, crf: Int, preset: Int) {
        #expect(QualityTable.crf(height: height) == crf)
        #expect(QualityTable.preset(height: height, tier: .high) == preset)
        #expect(QualityTable.preset(height: height, tier: .veryHigh) == preset - 1)
    }

    @Test("explicit preset and CRF win over the table")
    func overrides() {
        var settings = EncodeSettings()
        #expect(settings.resolvedCRF(height: 1080) == 23)
        #expect(settings.resolvedPreset(height: 1080) == 3)
        settings.crf = 30
        settings.preset = 8
        #expect(settings.resolvedCRF(height: 1080) == 30)
        #expect(settings.resolvedPreset(height: 1080) == 8)
    }

    @Test("CPU lists parse and print the kernel's way", arguments: [
        ("0-7,16-23", "0-7,16-23", 16), ("3", "3", 1), ("5,1,2,3", "1-3,5", 4), (" 0-1 ", "0-1", 2),
    ])
    func cpuLists(text: String, printed: String, count: Int) throws {
        let set = try #require(CPUSet(list: text))
        #expect(set.description == printed)
        #expect(set.count == count)
    }

    @Test("malformed CPU lists are refused", arguments: ["", "a", "3-1", "1,,2", "-1", "1-"])
    func badCPULists(text: String) {
        #expect(CPUSet(list: text) == nil)
    }
}
