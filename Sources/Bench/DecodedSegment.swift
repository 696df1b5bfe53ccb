import LinuxSupport
import NativeEncode

/// Decoded pictures held in memory, in display order.
struct FrameStore: ~Copyable {
    private let storage: UnsafeMutablePointer<Frame>
    let capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    mutating func append(_ frame: consuming Frame) {
        precondition(count < capacity, "FrameStore is full")
        (storage + count).initialize(to: frame)
        count += 1
    }

    /// Lends picture `index` to `body`.
    func withFrame<Result, Failure: Error>(at index: Int, _ body: (borrowing Frame) throws(Failure) -> Result) throws(Failure) -> Result {
        precondition(index >= 0 && index < count, "no frame \(index)")
        return try body(storage[index])
    }

    /// Bytes of picture memory the store keeps alive.
    var bufferBytes: Int {
        (0..<count).reduce(0) { total, index in total + storage[index].bufferBytes }
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }
}

/// A benchmark's segment decoded once into memory, as the pipeline would feed it to the
/// encoder, with the configuration an encode of it would give the encoder.
struct DecodedSegment: ~Copyable {
    let frames: FrameStore
    let config: VideoEncoderConfig

    /// Decodes `settings.segment` of `path` (without one, as many frames as the container
    /// announces). The calling thread's CPU placement applies to the decoder; `threads` is the
    /// encoder's thread budget.
    init(path: String, settings: EncodeSettings, threads: Int) throws(EncodeError) {
        // A second view of the file for the stream's metadata (frame rate, HDR side data): the
        // decode stage owns and closes its own.
        let input = try MediaInput(path: path)
        let source = SourceInfo(input)
        guard let videoIndex = source.videoIndex else { throw .nothingToDo(.noVideoStream) }
        var pictures = try PictureStream(path: path, bitDepth: settings.bitDepth, segment: settings.segment)
        var frames = FrameStore(capacity: settings.segment?.frames ?? source.estimatedFrames)
        while frames.count < frames.capacity, let picture = try pictures.next() { frames.append(picture) }
        guard frames.count > 0 else { throw .unreadableInput("no video frame could be decoded in the segment") }
        let stream = input.stream(videoIndex)
        config = frames.withFrame(at: 0) { first in
            Transcoder(settings: settings).encoderConfig(for: first, source: source, videoStream: stream,
                                                         frameRate: SourceInfo.nominalFrameRate(of: stream), threads: threads)
        }
        self.frames = frames
    }
}
