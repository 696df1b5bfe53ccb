import CFFmpeg

/// The join: stands in for the encoder in the one pass that muxes the title. The pass decodes the
/// source as a one-piece encode does (so every other stream, the coverage check and the summary are
/// exactly a one-piece encode's), and for each picture hands back the chunks' encoded picture of
/// the same presentation time, in order, waiting for a chunk while its worker is still on it. A
/// chunk that does not fit (another time, another sequence header, a picture short or over) is a
/// mismatch on the board, and the title is encoded in one piece instead.
struct ChunkReplay: AV1Encoder, ~Copyable {
    let name: String
    let sequenceHeader: [UInt8]
    private let board: ChunkBoard
    private var chunk = 0
    private var reader: ChunkFile.Reader
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
        while true {
            if let unit = try reader.next() {
                guard unit.pts == pts else {
                    throw board.reject("chunk \(chunk) has a picture at \(unit.pts) where the source has one at \(pts)")
                }
                ready.append(EncodedPacket(bytes: unit.bytes, index: index, isKeyframe: unit.isKeyframe))
                return
            }
            chunk += 1
            guard chunk < board.plan.count else { throw board.reject("the source has more pictures than the chunks") }
            try board.waitFor(chunk)
            reader = try ChunkFile.Reader(path: board.folder.chunkPath(chunk))
            guard reader.sequenceHeader == sequenceHeader else {
                throw board.reject("chunk \(chunk) starts with another sequence header than chunk 0")
            }
        }
    }

    mutating func drain(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        let handed = ready
        ready = []
        for packet in handed { try sink(packet) }
    }

    mutating func finish(_ sink: (EncodedPacket) throws(EncodeError) -> Void) throws(EncodeError) {
        try drain(sink)
        let leftOver = try reader.next()
        if chunk < board.plan.count - 1 || leftOver != nil {
            throw board.reject("the chunks hold more pictures than the source")
        }
    }
}
