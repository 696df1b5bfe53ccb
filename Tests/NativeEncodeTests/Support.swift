@_exported import TestSupport
import Foundation
import NativeEncode
import Testing

/// Fast settings for tests: quality is not what they check.
func fastSettings(_ change: (inout EncodeSettings) -> Void = { _ in }) -> EncodeSettings {
    var settings = EncodeSettings()
    settings.preset = 12
    settings.crf = 40
    change(&settings)
    return settings
}

/// Encodes a fixture into a scratch folder with fast settings.
func encodeFixture(_ name: String, in scratch: Scratch, settings: EncodeSettings = fastSettings(),
                   observer: ProgressObserver? = nil) throws -> (summary: EncodeSummary, output: String) {
    let output = scratch.path((name as NSString).deletingPathExtension + ".av1.mkv")
    let summary = try Transcoder(settings: settings).encode(input: Fixtures.path(name), output: output, observer: observer)
    return (summary, output)
}
