import CFFmpeg

/// HDR10 static metadata, in FFmpeg's rational form (primaries R, G, B).
public struct MasteringDisplay: Sendable, Equatable {
    public var primaries: [(x: Double, y: Double)]
    public var whitePoint: (x: Double, y: Double)
    public var maxLuminance: Double
    public var minLuminance: Double

    public static func == (a: Self, b: Self) -> Bool {
        a.primaries.map { [$0.x, $0.y] } == b.primaries.map { [$0.x, $0.y] }
            && [a.whitePoint.x, a.whitePoint.y, a.maxLuminance, a.minLuminance]
            == [b.whitePoint.x, b.whitePoint.y, b.maxLuminance, b.minLuminance]
    }

    init?(_ metadata: AVMasteringDisplayMetadata) {
        guard metadata.has_primaries != 0 || metadata.has_luminance != 0 else { return nil }
        let p = metadata.display_primaries
        primaries = [(av_q2d(p.0.0), av_q2d(p.0.1)), (av_q2d(p.1.0), av_q2d(p.1.1)), (av_q2d(p.2.0), av_q2d(p.2.1))]
        whitePoint = (av_q2d(metadata.white_point.0), av_q2d(metadata.white_point.1))
        maxLuminance = av_q2d(metadata.max_luminance)
        minLuminance = av_q2d(metadata.min_luminance)
    }
}

/// HDR10 content light level (cd/m²).
public struct ContentLightLevel: Sendable, Equatable {
    public var maxCLL: Int
    public var maxFALL: Int
}

/// Everything an AV1 encoder needs to know before the first picture.
struct VideoEncoderConfig {
    var width: Int
    var height: Int
    var bitDepth: Int
    /// Nominal frame rate as a fraction; encoders use it for rate control only.
    var frameRate: AVRational
    var preset: Int
    var crf: Int
    var keyframeInterval: Int
    var hierarchicalLevels: Int
    var threads: Int
    var filmGrain: Int
    var color: ColorDescription
    var chromaLocation: AVChromaLocation
    var masteringDisplay: MasteringDisplay?
    var contentLight: ContentLightLevel?
}

/// One compressed AV1 temporal unit as the encoder returned it.
struct EncodedPacket {
    var bytes: [UInt8]
    /// The index the picture was sent with; encoders return pictures in display order.
    var index: Int64
    var isKeyframe: Bool
}

/// The two encoders' common face: pictures in, temporal units out, in display order.
protocol AV1Encoder: ~Copyable {
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
