import CFFmpeg

/// The video of an encoded sample, counted packet by packet: keyframes apart, because a sample
/// starts with one while the full encode has one only every `keyframe_interval` frames.
struct SampleBytes: Sendable, Equatable {
    var keyframes = 0
    var keyframeBytes: Int64 = 0
    var otherFrames = 0
    var otherBytes: Int64 = 0

    init() {}

    init(path: String) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let packet = try Packet()
        reading: while true {
            switch input.read(into: packet) {
            case .packet:
                if packet.streamIndex == videoIndex {
                    let bytes = Int64(packet.pointer.pointee.size)
                    if packet.pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 {
                        keyframes += 1
                        keyframeBytes += bytes
                    } else {
                        otherFrames += 1
                        otherBytes += bytes
                    }
                }
                packet.unref()
            case .endOfFile: break reading
            case .failed(let failure): throw .library(failure)
            }
        }
    }

    static func + (l: Self, r: Self) -> Self {
        var sum = l
        sum.keyframes += r.keyframes
        sum.keyframeBytes += r.keyframeBytes
        sum.otherFrames += r.otherFrames
        sum.otherBytes += r.otherBytes
        return sum
    }

    /// The video bytes of `frames` pictures with a keyframe every `keyframeInterval`, at the
    /// samples' mean cost per keyframe and per other picture.
    func extrapolated(toFrames frames: Int, keyframeInterval: Int) -> Int64 {
        guard keyframes + otherFrames > 0 else { return 0 }
        let keyframeCount = min((frames + keyframeInterval - 1) / max(keyframeInterval, 1), frames)
        let perKeyframe = keyframes > 0 ? Double(keyframeBytes) / Double(keyframes) : 0
        let perOther = otherFrames > 0 ? Double(otherBytes) / Double(otherFrames) : perKeyframe
        return Int64((perKeyframe * Double(keyframeCount) + perOther * Double(frames - keyframeCount)).rounded())
    }
}
