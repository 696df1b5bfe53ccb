import LinuxSupport
import NativeEncode

/// The AV1 encoder fed a decoded segment from memory: no demux, no decode, no mux. Its speed is
/// the limit the full pipeline is measured against.
enum EncoderAlone {
    /// Encodes every picture with the encoder an encode would choose; returns the temporal
    /// units in display order. The encoder is created and torn down inside, as in an encode.
    static func encode(_ segment: borrowing DecodedSegment, choice: EncoderChoice) throws(EncodeError) -> [EncodedPacket] {
        let config = segment.config
        if choice != .aom && SvtEncoder.accepts(width: config.width, height: config.height) {
            var encoder = try SvtEncoder(config)
            return try run(&encoder, on: segment.frames)
        }
        var encoder = try AomEncoder(config)
        return try run(&encoder, on: segment.frames)
    }

    private static func run<Encoder: AV1Encoder & ~Copyable>(_ encoder: inout Encoder,
                                                             on frames: borrowing FrameStore) throws(EncodeError) -> [EncodedPacket] {
        var packets: [EncodedPacket] = []
        packets.reserveCapacity(frames.count)
        for index in 0..<frames.count {
            try frames.withFrame(at: index) { (frame) throws(EncodeError) in try encoder.send(frame, index: Int64(index)) }
            try encoder.drain { packets.append($0) }
        }
        try encoder.finish { packets.append($0) }
        return packets
    }
}
