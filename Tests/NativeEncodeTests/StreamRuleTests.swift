import CFFmpeg
@testable import NativeEncode
import Testing

/// The audio rows of the stream table for codecs no fixture can be made of here (Debian's FFmpeg
/// has no encoder for them), answered by the real libavformat/libavcodec tables.
@Suite("The audio table: copy, convert or drop")
struct StreamRuleTests {
    static func decide(_ name: String, channels: Int) -> StreamAction {
        let codec = avcodec_descriptor_get_by_name(name)!.pointee.id
        return AudioRule.decide(codec: codec, name: name, channels: channels,
                                support: MatroskaSupport(codec, type: AVMEDIA_TYPE_AUDIO), index: 1).0
    }

    @Test("copied: Matroska IDs, and WAV format tags the muxer writes as A_MS/ACM",
          arguments: ["aac", "ac3", "eac3", "dts", "truehd", "opus", "vorbis", "mp3", "flac", "pcm_s16le",
                      "wmav2", "wmapro", "amr_nb", "amr_wb", "aac_latm", "pcm_alaw", "pcm_mulaw", "adpcm_ima_wav", "adpcm_ms"])
    func copied(name: String) {
        #expect(Self.decide(name, channels: 2) == .copy)
    }

    @Test("converted to FLAC: lossless PCM Matroska cannot hold", arguments: ["pcm_bluray", "pcm_dvd"])
    func flac(name: String) {
        #expect(Self.decide(name, channels: 6) == .convert(to: .flac))
    }

    @Test("converted to Matroska's float PCM: floating-point PCM it cannot hold", arguments: ["pcm_f32be", "pcm_f24le", "pcm_f16le"])
    func floatPCM(name: String) {
        #expect(Self.decide(name, channels: 2) == .convert(to: .floatPCM))
    }

    @Test("converted to Opus: lossy codecs without a Matroska ID or WAV tag, and those mkv_init refuses",
          arguments: ["adpcm_ima_qt", "nellymoser", "cook", "sipr", "atrac3", "ra_288", "mace6"])
    func opus(name: String) {
        #expect(Self.decide(name, channels: 2) == .convert(to: .opus(bitRate: 128_000)))
    }

    @Test("Opus bit rate: 64 kb/s per channel, at most 510 kb/s; more than 8 channels cannot be converted")
    func opusRates() {
        #expect(Self.decide("cook", channels: 1) == .convert(to: .opus(bitRate: 64_000)))
        #expect(Self.decide("adpcm_ima_qt", channels: 6) == .convert(to: .opus(bitRate: 384_000)))
        #expect(Self.decide("adpcm_ima_qt", channels: 8) == .convert(to: .opus(bitRate: 510_000)))
        guard case .drop(let reason) = Self.decide("adpcm_ima_qt", channels: 10) else {
            Issue.record("10 channels must be dropped with a reason")
            return
        }
        #expect(reason.contains("10 channels"))
    }
}
