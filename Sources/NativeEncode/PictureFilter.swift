import CFFmpeg

/// Puts decoded pictures into the shape a player shows them in, as the ffmpeg CLI does, before
/// they are converted and encoded: the container's pixel aspect, upright (the display matrix
/// turned into pixels: Matroska in FFmpeg 5.1 cannot carry a rotation), deinterlaced when asked,
/// and every picture at the first picture's size (a mid-stream size change is scaled back to it;
/// the encoders are configured once and must never be handed another size).
///
/// Pictures go in with `send` and come out, one for one and with their timestamps, from
/// `receive`. Without work to do a picture passes through untouched; otherwise a libavfilter
/// graph does it, rebuilt (after draining the old one) whenever the input's shape changes.
struct PictureFilter: ~Copyable, @unchecked Sendable {
    /// The container's display matrix (MP4 `tkhd`), used when the first picture carries none.
    private let streamRotation: Rotation
    /// How every picture is turned: decided by the first (its own matrix, e.g. an H.264 display
    /// orientation SEI, wins, as in the ffmpeg CLI), since the output size is fixed from there.
    private(set) var rotation = Rotation.none
    let deinterlace: Deinterlace
    /// The container's pixel aspect ratio, which wins over the bitstream's (as in the ffmpeg CLI).
    private let containerAspect: AVRational
    private let timeBase: AVRational

    private var graph: FilterGraph?
    private var shape: Shape?
    /// The size of the first picture given out; later pictures are scaled to it.
    private var outputSize: (width: Int32, height: Int32)?
    /// Set by the first picture flagged interlaced: deinterlacing stays on from there.
    private var seenInterlaced = false
    /// Durations of the pictures inside the graph, by presentation time: filters may not keep them.
    private var durations: [Int64: Int64] = [:]
    /// Pictures ready to be received, oldest first (owned `AVFrame`s).
    private var ready: [UnsafeMutablePointer<AVFrame>] = []
    /// Sizes met after the first that were scaled back to it, in order of appearance.
    private(set) var rescaledSizes: [String] = []

    /// What was done to the pictures, for the summary.
    var notes: [String] {
        var notes: [String] = []
        if let turned = rotation.description { notes.append("pictures \(turned) as the display matrix says") }
        if seenInterlaced { notes.append("interlaced pictures deinterlaced (bwdif, one picture per frame)") }
        if let outputSize, !rescaledSizes.isEmpty {
            notes.append("picture size changed mid-stream (\(rescaledSizes.joined(separator: ", "))): scaled to the first size, \(outputSize.width)x\(outputSize.height)")
        }
        return notes
    }

    /// What the graph is built for: a change of any of these rebuilds it.
    private struct Shape: Equatable {
        var width: Int32, height: Int32, format: Int32
        var aspect: AVRational
        var deinterlacing: Bool

        static func == (a: Self, b: Self) -> Bool {
            (a.width, a.height, a.format, a.deinterlacing) == (b.width, b.height, b.format, b.deinterlacing)
                && av_cmp_q(a.aspect, b.aspect) == 0
        }
    }

    init(stream: UnsafeMutablePointer<AVStream>, deinterlace: Deinterlace) {
        streamRotation = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nil)
            .map { Rotation(matrix: UnsafeRawPointer($0).assumingMemoryBound(to: Int32.self)) } ?? .none
        self.deinterlace = deinterlace
        containerAspect = stream.pointee.sample_aspect_ratio
        timeBase = stream.pointee.time_base
    }

    /// Takes one decoded picture (leaving `frame` blank); what it becomes waits in `receive`.
    mutating func send(_ frame: borrowing Frame) throws(EncodeError) {
        let picture = frame.pointer
        picture.pointee.sample_aspect_ratio = av_guess_sample_aspect_ratio(nil, nil, picture)
        if containerAspect.num > 0 && containerAspect.den > 0 { picture.pointee.sample_aspect_ratio = containerAspect }
        if deinterlace == .auto && picture.pointee.interlaced_frame != 0 { seenInterlaced = true }
        if outputSize == nil {
            rotation = frame.sideData(AV_FRAME_DATA_DISPLAYMATRIX)
                .map { Rotation(matrix: UnsafeRawPointer($0.pointee.data).assumingMemoryBound(to: Int32.self)) } ?? streamRotation
        }
        let next = Shape(width: picture.pointee.width, height: picture.pointee.height, format: picture.pointee.format,
                         aspect: picture.pointee.sample_aspect_ratio, deinterlacing: seenInterlaced)
        if next != shape {
            try drainGraph(ending: true)
            graph = nil
            shape = next
            if let chain = chain(for: next) { graph = try FilterGraph(chain, input: frame, timeBase: timeBase) }
        }
        if graph != nil {
            durations[picture.pointee.pts] = picture.pointee.pkt_duration
            try graph?.send(frame)
            try drainGraph(ending: false)
        } else {
            try keep(frame)
        }
    }

    /// Tells the filter no more pictures come, so it gives out the ones it still holds.
    mutating func finish() throws(EncodeError) {
        try drainGraph(ending: true)
        graph = nil
        shape = nil
    }

    /// The oldest picture ready, or nil when the filter needs more input.
    mutating func receive() throws(EncodeError) -> Frame? {
        guard !ready.isEmpty else { return nil }
        let raw = ready.removeFirst()
        let frame = try Frame()
        av_frame_move_ref(frame.pointer, raw)
        var doomed: UnsafeMutablePointer<AVFrame>? = raw
        av_frame_free(&doomed)
        return frame
    }

    /// The libavfilter chain for pictures of `shape`, or nil when they need nothing.
    private mutating func chain(for shape: Shape) -> String? {
        var filters: [String] = []
        // send_frame: one picture out per picture in, so timestamps, frame counts and
        // verification stay those of the source; `deint=interlaced` leaves progressive ones be.
        if shape.deinterlacing { filters.append("bwdif=mode=send_frame:parity=auto:deint=interlaced") }
        filters += rotation.filters
        let turned = rotation.swapsSides ? (width: shape.height, height: shape.width) : (width: shape.width, height: shape.height)
        if let outputSize, outputSize != turned {
            let size = "\(shape.width)x\(shape.height)"
            if !rescaledSizes.contains(size) { rescaledSizes.append(size) }
            filters.append("scale=\(outputSize.width):\(outputSize.height):flags=bicubic")
        } else if outputSize == nil {
            outputSize = turned
        }
        return filters.isEmpty ? nil : filters.joined(separator: ",")
    }

    /// Moves what the graph has ready into `ready`; with `ending`, first tells it the input ended.
    private mutating func drainGraph(ending: Bool) throws(EncodeError) {
        guard graph != nil else { return }
        if ending { try graph?.sendEndOfStream() }
        let frame = try Frame()
        let outputTimeBase = graph?.outputTimeBase ?? timeBase
        while case .frame = try graph?.receive(into: frame) {
            // Back to the stream's time base, with the duration the picture went in with.
            let picture = frame.pointer
            picture.pointee.pts = av_rescale_q(picture.pointee.pts, outputTimeBase, timeBase)
            if let duration = durations.removeValue(forKey: picture.pointee.pts) { picture.pointee.pkt_duration = duration }
            try keep(frame)
        }
        // A filter that dropped a picture would leave its duration behind.
        if ending { durations.removeAll() }
    }

    private mutating func keep(_ frame: borrowing Frame) throws(EncodeError) {
        guard let raw = av_frame_alloc() else {
            throw .library(AVFailure(code: av1d_averror(ENOMEM), operation: "av_frame_alloc"))
        }
        av_frame_move_ref(raw, frame.pointer)
        ready.append(raw)
    }

    deinit {
        for raw in ready { var doomed: UnsafeMutablePointer<AVFrame>? = raw; av_frame_free(&doomed) }
    }
}

/// How a stream's display matrix turns its pictures, read as the ffmpeg CLI reads it.
enum Rotation: Equatable, Sendable {
    case none
    /// A quarter turn, clockwise or counter-clockwise, maybe mirrored.
    case clockwise, counterClockwise, clockwiseFlipped, counterClockwiseFlipped
    /// Mirrored about one or both axes (a half turn is both).
    case flipped(horizontal: Bool, vertical: Bool)
    /// Any other angle, in degrees clockwise: turned by libavfilter's `rotate` at the same size.
    case degrees(Double)

    /// From a 3x3 display matrix as FFmpeg stores it (nine 32-bit fixed-point numbers).
    init(matrix: UnsafePointer<Int32>) {
        let angle = av_display_rotation_get(matrix)
        guard angle.isFinite else { self = .none; return }
        self.init(angle: angle, matrix: (0..<9).map { matrix[$0] })
    }

    /// `angle` is av_display_rotation_get's (counter-clockwise degrees); the rest follows
    /// ffmpeg 5.1's `get_rotation` and its autorotate filter choice.
    init(angle: Double, matrix: [Int32]) {
        var theta = -angle.rounded()
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        if abs(theta - 90) < 1 {
            self = matrix[3] > 0 ? .counterClockwiseFlipped : .clockwise
        } else if abs(theta - 180) < 1 {
            self = matrix[0] < 0 || matrix[4] < 0 ? .flipped(horizontal: matrix[0] < 0, vertical: matrix[4] < 0) : .none
        } else if abs(theta - 270) < 1 {
            self = matrix[3] < 0 ? .clockwiseFlipped : .counterClockwise
        } else if abs(theta) > 1 {
            self = .degrees(theta)
        } else {
            self = matrix[4] < 0 ? .flipped(horizontal: false, vertical: true) : .none
        }
    }

    var filters: [String] {
        switch self {
        case .none: []
        case .clockwise: ["transpose=clock"]
        case .counterClockwise: ["transpose=cclock"]
        case .clockwiseFlipped: ["transpose=clock_flip"]
        case .counterClockwiseFlipped: ["transpose=cclock_flip"]
        case .flipped(let horizontal, let vertical): (horizontal ? ["hflip"] : []) + (vertical ? ["vflip"] : [])
        case .degrees(let theta): ["rotate=\(theta)*PI/180"]
        }
    }

    /// Whether width and height trade places.
    var swapsSides: Bool {
        switch self {
        case .clockwise, .counterClockwise, .clockwiseFlipped, .counterClockwiseFlipped: true
        default: false
        }
    }

    /// For the summary: nil when nothing is turned.
    var description: String? {
        switch self {
        case .none: nil
        case .clockwise: "turned 90° clockwise"
        case .counterClockwise: "turned 90° counter-clockwise"
        case .clockwiseFlipped: "turned 90° clockwise and mirrored"
        case .counterClockwiseFlipped: "turned 90° counter-clockwise and mirrored"
        case .flipped(true, true): "turned 180°"
        case .flipped(false, false): nil
        case .flipped(let horizontal, _): horizontal ? "mirrored left to right" : "mirrored top to bottom"
        case .degrees(let theta): "turned \(theta)° clockwise"
        }
    }
}
