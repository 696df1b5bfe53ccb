import CFFmpeg

/// HDR10 static metadata of the mastering display. Sources often carry only one of its two parts
/// (Matroska files with only luminance, or only primaries): each part is kept when it is present
/// and sane, and left unset otherwise (`av_q2d` of an absent {0, 0} is NaN, never a number).
public struct MasteringDisplay: Sendable, Equatable {
    /// A CIE 1931 xy chromaticity.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
    }

    /// The R, G, B primaries and the white point.
    public struct Chromaticity: Sendable, Equatable {
        public var red: Point, green: Point, blue: Point, white: Point
    }

    /// Peak and black level, cd/m².
    public struct Luminance: Sendable, Equatable {
        public var max: Double
        public var min: Double
    }

    public var chromaticity: Chromaticity?
    public var luminance: Luminance?
    /// Both parts: what AV1's metadata OBU (which has no "absent" fields) needs.
    public var isComplete: Bool { chromaticity != nil && luminance != nil }

    init?(_ metadata: AVMasteringDisplayMetadata) {
        if metadata.has_primaries != 0 {
            let p = metadata.display_primaries
            let points = [(p.0.0, p.0.1), (p.1.0, p.1.1), (p.2.0, p.2.1), (metadata.white_point.0, metadata.white_point.1)]
                .compactMap { xy in Self.value(xy.0, within: 0...1).flatMap { x in Self.value(xy.1, within: 0...1).map { Point(x: x, y: $0) } } }
            chromaticity = points.count == 4 ? Chromaticity(red: points[0], green: points[1], blue: points[2], white: points[3]) : nil
        }
        if metadata.has_luminance != 0, let max = Self.value(metadata.max_luminance, within: 0...1e7),
           let min = Self.value(metadata.min_luminance, within: 0...1e5) {
            luminance = Luminance(max: max, min: min)
        }
        if chromaticity == nil && luminance == nil { return nil }
    }

    /// The rational's value when it is a finite number in `range`; nil for {0, 0}, x/0 and the absurd.
    private static func value(_ rational: AVRational, within range: ClosedRange<Double>) -> Double? {
        guard rational.den != 0 else { return nil }
        let value = av_q2d(rational)
        return value.isFinite && range.contains(value) ? value : nil
    }
}

/// HDR10 content light level (cd/m²).
public struct ContentLightLevel: Sendable, Equatable {
    public var maxCLL: Int
    public var maxFALL: Int
}

/// Everything an AV1 encoder needs to know before the first picture.
package struct VideoEncoderConfig {
    package var width: Int
    package var height: Int
    package var bitDepth: Int
    /// Nominal frame rate as a fraction; encoders use it for rate control only.
    package var frameRate: AVRational
    package var preset: Int
    package var crf: Int
    package var keyframeInterval: Int
    package var hierarchicalLevels: Int
    package var threads: Int
    package var filmGrain: Int
    package var color: ColorDescription
    package var chromaLocation: AVChromaLocation
    package var masteringDisplay: MasteringDisplay?
    package var contentLight: ContentLightLevel?
}

/// One compressed AV1 temporal unit as the encoder returned it.
package struct EncodedPacket {
    package var bytes: [UInt8]
    /// The index the picture was sent with; encoders return pictures in display order.
    package var index: Int64
    package var isKeyframe: Bool
}

/// The two encoders' common face: pictures in, temporal units out, in display order.
package protocol AV1Encoder: ~Copyable {
    /// Library name and version, e.g. "SVT-AV1 v1.4.1".
    var name: String { get }
    /// The sequence header OBU: Matroska's CodecPrivate is built from it.
    var sequenceHeader: [UInt8] { get }
    /// Encodes one 4:2:0 picture at the configured bit depth. The picture may be released after.
    mutating func send(_ frame: borrowing Frame, index: Int64) throws(EncodeError)
    /// Hands over the packets that are ready now, without waiting.
    mutating func drain(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError)
    /// Signals the end of input and hands over every remaining packet.
    mutating func finish(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError)
}

extension AV1Encoder where Self: ~Copyable {
    /// Planes and strides of a 4:2:0 frame.
    static func planes(of frame: borrowing Frame) -> (data: [UnsafeMutablePointer<UInt8>?], strides: [Int]) {
        let data = frame.pointer.pointee.data, sizes = frame.pointer.pointee.linesize
        return ([data.0, data.1, data.2], [Int(sizes.0), Int(sizes.1), Int(sizes.2)])
    }
}
