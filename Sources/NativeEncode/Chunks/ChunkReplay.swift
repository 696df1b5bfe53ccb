import CFFmpeg

/// The join: stands in for the encoder in the one pass that muxes the title, handing on the
/// chunks' encoded pictures in order, waiting for a chunk while its worker is still on it.
///
/// The pass reads the source as a one-piece encode does (so every other stream, the coverage check
/// and the summary are exactly a one-piece encode's). Normally it decodes only the first picture
/// and matches the chunks' pictures against the times of the source's video packets
/// (`match(_:ending:emit:)`): a picture that does not fit is a timing misfit, and the pass is run
/// again decoding every picture (`send`), where a chunk that does not fit (another time, another
/// sequence header, a picture short or over) is a mismatch on the board, and the title is encoded
/// in one piece instead.
struct ChunkReplay: AV1Encoder, ~Copyable {
    let name: String
    let sequenceHeader: [UInt8]
    private let board: ChunkBoard
    private var chunk = 0
    private var reader: ChunkFile.Reader
    /// The next unit, read ahead to compare its time before taking it.
    private var upcoming: ChunkFile.Unit?
    private var ready: [EncodedPacket] = []

    init(board: ChunkBoard) throws(EncodeError) {
        try board.waitFor(0)
        reader = try ChunkFile.Reader(path: board.folder.chunkPath(0))
        sequenceHeader = reader.sequenceHeader
        name = "\(SvtEncoder.libraryName) in \(board.plan.count) chunks"
        self.board = board
    }

    mutating func send(_ frame: borrowing Frame, index: Int64) throws(EncodeError) {
        let pts = frame.pointer.pointee.pts
        guard let unit = try take() else { throw board.reject("the source has more pictures than the chunks") }
        guard unit.pts == pts else {
            throw board.reject("chunk \(chunk) has a picture at \(unit.pts) where the source has one at \(pts)")
        }
        ready.append(EncodedPacket(bytes: unit.bytes, index: index, isKeyframe: unit.isKeyframe))
    }

    mutating func drain(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        let handed = ready
        ready = []
        for packet in handed { try sink(packet) }
    }

    mutating func finish(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        try drain(sink)
        if try take() != nil { throw board.reject("the chunks hold more pictures than the source") }
    }

    /// The chunk pictures, in display order, whose times the source's video packets have shown so
    /// far; with `ending` (every packet read) all must have been, and all of the chunks'. A
    /// disagreement is a timing misfit (`ChunkBoard.misfit`), not yet a verdict on the chunks.
    mutating func match(_ times: inout PacketTimes, ending: Bool) throws(EncodeError) -> [ChunkFile.Unit] {
        var matched: [ChunkFile.Unit] = []
        while let earliest = times.earliest {
            guard let unit = try peek() else { throw board.misfit("a video packet at \(earliest) has no picture in the chunks") }
            if earliest > unit.pts && !ending { break }  // The packet of that picture may still come (B-frames).
            guard earliest == unit.pts else {
                throw board.misfit("the chunks' picture at \(unit.pts) meets a video packet at \(earliest)")
            }
            times.removeEarliest()
            upcoming = nil
            matched.append(unit)
        }
        if ending, let unit = try peek() { throw board.misfit("the chunks' picture at \(unit.pts) has no video packet") }
        return matched
    }

    /// The next unit without taking it.
    private mutating func peek() throws(EncodeError) -> ChunkFile.Unit? {
        if upcoming == nil { upcoming = try readNext() }
        return upcoming
    }

    private mutating func take() throws(EncodeError) -> ChunkFile.Unit? {
        let unit = try peek()
        upcoming = nil
        return unit
    }

    /// The next unit of this chunk or, at its end, of the next one (waiting for it); nil after the last.
    private mutating func readNext() throws(EncodeError) -> ChunkFile.Unit? {
        while true {
            if let unit = try reader.next() { return unit }
            guard chunk + 1 < board.plan.count else { return nil }
            chunk += 1
            try board.waitFor(chunk)
            reader = try ChunkFile.Reader(path: board.folder.chunkPath(chunk))
            guard reader.sequenceHeader == sequenceHeader else {
                throw board.reject("chunk \(chunk) starts with another sequence header than chunk 0")
            }
        }
    }
}

/// The presentation times of the source's video packets read so far and not yet matched with a
/// picture: packets come in decode order, pictures in display order, so the earliest is taken first.
struct PacketTimes {
    /// Sorted, latest first; few at a time (the decoder's reorder depth).
    private var times: [Int64] = []

    var earliest: Int64? { times.last }

    mutating func insert(_ pts: Int64) {
        var low = 0, high = times.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] > pts { low = middle + 1 } else { high = middle }
        }
        times.insert(pts, at: low)
    }

    mutating func removeEarliest() { times.removeLast() }
}
