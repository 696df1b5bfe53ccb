import CFFmpeg

/// A file's pictures, taken one at a time, decoded by the engine's own `DecodeStage` on its own
/// thread: a benchmark sees exactly the pictures an encode of the file would be fed (same seek,
/// same segment, same pixel conversion).
package struct PictureStream: ~Copyable {
    private let queue: HandoffQueue<PipelineItem>
    private let thread: PipelineThread
    private var ended = false

    /// - Parameter decoderName: a libavcodec decoder to prefer by name (e.g. "libdav1d").
    package init(path: String, bitDepth: Int, segment: Segment? = nil, decoderName: String? = nil) throws(EncodeError) {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let stream = input.stream(videoIndex)
        let frameRate = SourceInfo.nominalFrameRate(of: stream)
        let frameDuration = av_rescale_q(1, AVRational(num: frameRate.den, den: frameRate.num), stream.pointee.time_base)
        let decoder = try VideoDecoder(stream: stream, threads: 0, preferring: decoderName)
        // Pictures only: no stream is copied or converted.
        let stage = DecodeStage(input: input, decoder: decoder, converter: PixelConverter(bitDepth: bitDepth),
                                converters: StreamConverters(), videoIndex: videoIndex, copiedStreams: [],
                                nominalFrameDuration: frameDuration, segment: segment)
        let queue = HandoffQueue<PipelineItem>(capacity: 3)
        thread = PipelineThread(name: "av1d-bench-decode") { [owner = SharedOwner(stage)] in
            owner.withValue { $0.run(into: queue, stop: StopFlag()) }
        }
        self.queue = queue
    }

    /// The next picture (4:2:0 at the bit depth asked for), or nil after the last.
    package mutating func next() throws(EncodeError) -> Frame? {
        while !ended, let item = queue.pop() {
            switch consume item {
            case .picture(let frame): return frame
            case .passthrough: continue
            case .videoTime: continue
            case .finished: ended = true
            case .failed(let error): ended = true; throw error
            }
        }
        return nil
    }

    deinit {
        // Closing the queue makes a stage still decoding give up at its next hand-over.
        queue.close()
        thread.join()
    }
}
