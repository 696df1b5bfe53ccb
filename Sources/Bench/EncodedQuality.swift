import Foundation
import LinuxSupport
import NativeEncode

/// Scores an encoder's output against the pictures it was fed. The temporal units are written
/// out as a raw OBU stream, decoded with libdav1d (not the encoder's own library) and compared
/// picture by picture, in display order.
enum EncodedQuality {
    static func score(_ packets: [EncodedPacket], against source: borrowing FrameStore, bitDepth: Int) throws(EncodeError) -> QualityScores {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-bench-\(UUID().uuidString).obu").path
        guard FileManager.default.createFile(atPath: path, contents: Data(packets.flatMap(\.bytes))) else {
            throw .output("cannot write \(path)")
        }
        defer { unlink(path) }
        var decoded = try PictureStream(path: path, bitDepth: bitDepth, decoderName: "libdav1d")
        var meter = QualityMeter()
        var decodedCount = 0
        while let picture = try decoded.next() {
            if decodedCount < source.count {
                source.withFrame(at: decodedCount) { meter.add(source: LumaPlane($0), decoded: LumaPlane(picture)) }
            }
            decodedCount += 1
        }
        guard decodedCount == source.count else {
            throw .output("the encoded segment decodes to \(decodedCount) frames, not \(source.count)")
        }
        return meter.scores
    }
}
