import CFFmpeg
import LinuxSupport

/// One chunk worker: a thread confined to its own CPU set that takes chunks off the board in
/// order and encodes each with its own decoder and its own SVT-AV1 instance, into a chunk file.
struct ChunkWorker: Sendable {
    let source: String
    let settings: EncodeSettings
    let cpus: CPUSet
    let board: ChunkBoard

    /// Runs until no chunk is left or the run stops; a failure is handed to the board.
    func run() {
        do throws(EncodeError) {
            // Before anything starts: the decoder's and the encoder's threads inherit this thread's CPUs.
            try EncodeError.system { () throws(SystemError) in try CPUAffinity.confineThread(to: cpus) }
            while let index = board.claim() {
                try board.finished(try encode(index))
            }
        } catch {
            board.fail(error)
        }
    }

    /// Decodes the pictures of chunk `index` from the keyframe it starts at and encodes them.
    private func encode(_ index: Int) throws(EncodeError) -> ChunkFolder.FinishedChunk {
        let input = try MediaInput(path: source, stop: board.stop)
        let info = SourceInfo(input)
        guard let videoIndex = info.videoIndex else { throw .nothingToDo(.noVideoStream) }
        let videoStream = input.stream(videoIndex)
        let frameRate = SourceInfo.nominalFrameRate(of: videoStream)
        let frameDuration = av_rescale_q(1, AVRational(num: frameRate.den, den: frameRate.num), videoStream.pointee.time_base)
        let bounds = board.plan.window(index)
        let window = SegmentWindow(startPts: bounds.start, endPts: bounds.end, input: input, videoIndex: videoIndex)
        let decoder = try VideoDecoder(stream: videoStream, threads: 0)
        let stage = DecodeStage(input: input, decoder: decoder, converter: PixelConverter(bitDepth: settings.bitDepth),
                                converters: StreamConverters(), videoIndex: videoIndex, copiedStreams: [],
                                nominalFrameDuration: frameDuration, window: window, deinterlace: settings.deinterlace)
        let stop = board.stop
        let decoding = DecodeThread(stage, depth: settings.queueDepth, name: "av1d-chunk-decode", stop: stop)
        let queue = decoding.queue
        defer { decoding.close() }

        guard let item = queue.pop() else { throw .cancelled }
        let first: Frame
        switch consume item {
        case .picture(let picture): first = picture
        case .failed(let error): throw error
        case .finished: throw board.reject("chunk \(index) holds no picture")
        case .passthrough: throw .encoder("a chunk worker was handed a packet of another stream")
        case .videoTime: throw .encoder("a chunk worker was handed a packet time in place of a picture")
        }
        let config = Transcoder(settings: settings).encoderConfig(for: first, source: info, videoStream: videoStream,
                                                                  frameRate: frameRate, threads: cpus.count)
        var encoder = try SvtEncoder(config)
        var chunk = ChunkSink(file: try ChunkFile.Writer(path: board.folder.chunkPath(index), sequenceHeader: encoder.sequenceHeader),
                              board: board)
        try chunk.send(first, to: &encoder)
        while true {
            guard let item = queue.pop() else { throw .cancelled }
            if stop.isRaised { throw .cancelled }
            switch consume item {
            case .picture(let picture): try chunk.send(picture, to: &encoder)
            case .failed(let error): throw error
            case .passthrough: throw .encoder("a chunk worker was handed a packet of another stream")
            case .videoTime: throw .encoder("a chunk worker was handed a packet time in place of a picture")
            case .finished:
                return try chunk.finish(&encoder, index: index)
            }
        }
    }
}

/// Where a chunk's encoded pictures go: into its file, each with the presentation time and duration
/// of the picture it encodes (kept by the index it was sent to the encoder with).
private struct ChunkSink: ~Copyable {
    let file: ChunkFile.Writer
    let board: ChunkBoard
    private var pending: [Int64: (pts: Int64, duration: Int64)] = [:]
    private var nextIndex: Int64 = 0
    private var frames = 0

    init(file: ChunkFile.Writer, board: ChunkBoard) {
        self.file = file
        self.board = board
    }

    mutating func send(_ picture: consuming Frame, to encoder: inout SvtEncoder) throws(EncodeError) {
        pending[nextIndex] = (picture.pointer.pointee.pts, picture.pointer.pointee.pkt_duration)
        try encoder.send(picture, index: nextIndex)
        nextIndex += 1
        try encoder.drain { (packet) throws(EncodeError) in try keep(packet) }
    }

    /// Drains the encoder, then makes the file durable: the chunk is done.
    mutating func finish(_ encoder: inout SvtEncoder, index: Int) throws(EncodeError) -> ChunkFolder.FinishedChunk {
        try encoder.finish { (packet) throws(EncodeError) in try keep(packet) }
        guard pending.isEmpty else { throw .encoder("\(pending.count) pictures of chunk \(index) never came back from the encoder") }
        try file.commit()
        return ChunkFolder.FinishedChunk(index: index, frames: frames, bytes: OutputTarget.size(of: file.path))
    }

    private mutating func keep(_ packet: EncodedPacket) throws(EncodeError) {
        guard let time = pending.removeValue(forKey: packet.index) else {
            throw .encoder("encoder returned a picture that was never sent (index \(packet.index))")
        }
        try file.append(ChunkFile.Unit(pts: time.pts, duration: time.duration, isKeyframe: packet.isKeyframe, bytes: packet.bytes))
        frames += 1
        board.encodedPicture(bytes: packet.bytes.count)
    }
}
