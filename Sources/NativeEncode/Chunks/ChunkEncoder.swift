import CFFmpeg
import Foundation
import LinuxSupport

/// The inside of a chunk worker process: encodes the chunks it is handed, one at a time, each
/// with its own decoder and its own SVT-AV1 instance, into chunk files.
///
/// Why a process and not a thread: SVT-AV1 1.4.1 rewrites its process-wide CPU dispatch tables
/// in every `svt_av1_enc_init`, pointer by pointer (the C version first, then the SIMD one). An
/// encoder running in the same process meanwhile can call a half-set pair and crash (seen as a
/// null read in one of SVT's threads while another chunk's encoder was being created). One
/// encoder per process at a time never meets another's set-up.
package struct ChunkEncoder {
    let setup: ChunkWorkerSetup

    /// Serves a job on standard input/output (see `ChunkWorkerSetup`) until it closes the pipe.
    /// Returns the process's exit status: 0 when every chunk was encoded, 1 after a failure.
    package static func serve() -> Int32 {
        var lines = DescriptorLines(STDIN_FILENO)
        guard let first = lines.next(), let setup = try? JSONDecoder.av1d.decode(ChunkWorkerSetup.self, from: Data(first)) else {
            FileHandle.standardError.write(Data("chunk worker: no setup line on standard input\n".utf8))
            return 64
        }
        let worker = ChunkEncoder(setup: setup)
        // As in a one-piece encode: freed frame buffers go back to the kernel (see `MallocPolicy`).
        MallocPolicy.returnLargeBlocksWhenFreed()
        do throws(ChunkFailure) {
            // Before any thread starts: the decoder's and the encoder's threads inherit these CPUs.
            guard let cpus = CPUSet(list: setup.cpus) else { throw .encoder("chunk worker: bad CPU list \(setup.cpus)") }
            do { try CPUAffinity.confineThread(to: cpus) } catch { throw .system(error) }
            while let line = lines.next() {
                guard let task = try? JSONDecoder.av1d.decode(ChunkTask.self, from: Data(line)) else {
                    throw .encoder("chunk worker: unreadable task line")
                }
                let chunk = try worker.encode(task) { bytes, isKeyframe in report(.picture(bytes: bytes, isKeyframe: isKeyframe)) }
                report(.finished(chunk))
            }
            return 0
        } catch {
            report(.failed(error))
            return 1
        }
    }

    private static func report(_ message: ChunkWorkerReport) {
        FileHandle.standardOutput.write(message.line())
    }

    /// Decodes the pictures of the task's window from the keyframe it starts at and encodes them.
    func encode(_ task: ChunkTask, onPicture: @escaping (Int, Bool) -> Void) throws(ChunkFailure) -> ChunkFolder.FinishedChunk {
        do {
            return try encodeOrThrow(task, onPicture: onPicture)
        } catch .nothingToDo {
            // The window holds no picture: the plan does not fit the source.
            throw .mismatch("chunk \(task.index) holds no picture")
        } catch {
            throw ChunkFailure(error)
        }
    }

    private func encodeOrThrow(_ task: ChunkTask, onPicture: @escaping (Int, Bool) -> Void) throws(EncodeError) -> ChunkFolder.FinishedChunk {
        let settings = setup.settings
        // The job ends this process to stop it: nothing here raises the flag.
        let stop = StopFlag()
        let input = try MediaInput(path: setup.source, stop: stop)
        let info = SourceInfo(input)
        guard let videoIndex = info.videoIndex else { throw .nothingToDo(.noVideoStream) }
        let videoStream = input.stream(videoIndex)
        let frameRate = SourceInfo.nominalFrameRate(of: videoStream)
        let frameDuration = av_rescale_q(1, AVRational(num: frameRate.den, den: frameRate.num), videoStream.pointee.time_base)
        let window = SegmentWindow(startPts: task.start, endPts: task.end, input: input, videoIndex: videoIndex)
        let decoder = try VideoDecoder(stream: videoStream, threads: 0)
        let stage = DecodeStage(input: input, decoder: decoder, converter: PixelConverter(bitDepth: settings.bitDepth),
                                converters: StreamConverters(), videoIndex: videoIndex, copiedStreams: [],
                                nominalFrameDuration: frameDuration, window: window, deinterlace: settings.deinterlace)
        let decoding = DecodeThread(stage, depth: settings.queueDepth, name: "av1d-chunk-decode", stop: stop)
        let queue = decoding.queue
        defer { decoding.close() }

        guard let item = queue.pop() else { throw .cancelled }
        let first: Frame
        switch consume item {
        case .picture(let picture): first = picture
        case .failed(let error): throw error
        case .finished: throw .nothingToDo(.noVideoStream)
        case .passthrough: throw .encoder("a chunk worker was handed a packet of another stream")
        case .videoTime: throw .encoder("a chunk worker was handed a packet time in place of a picture")
        }
        let cpus = CPUSet(list: setup.cpus)?.count ?? 1
        let config = Transcoder(settings: settings).encoderConfig(for: first, source: info, videoStream: videoStream,
                                                                  frameRate: frameRate, threads: cpus)
        var encoder = try SvtEncoder(config)
        var chunk = ChunkSink(file: try ChunkFile.Writer(path: task.path, sequenceHeader: encoder.sequenceHeader),
                              onPicture: onPicture)
        try chunk.send(first, to: &encoder)
        while true {
            guard let item = queue.pop() else { throw .cancelled }
            switch consume item {
            case .picture(let picture): try chunk.send(picture, to: &encoder)
            case .failed(let error): throw error
            case .passthrough: throw .encoder("a chunk worker was handed a packet of another stream")
            case .videoTime: throw .encoder("a chunk worker was handed a packet time in place of a picture")
            case .finished:
                return try chunk.finish(&encoder, index: task.index)
            }
        }
    }
}

/// Where a chunk's encoded pictures go: into its file, each with the presentation time and duration
/// of the picture it encodes (kept by the index it was sent to the encoder with).
private struct ChunkSink: ~Copyable {
    let file: ChunkFile.Writer
    let onPicture: (Int, Bool) -> Void
    private var pending: [Int64: (pts: Int64, duration: Int64)] = [:]
    private var nextIndex: Int64 = 0
    private var frames = 0

    init(file: ChunkFile.Writer, onPicture: @escaping (Int, Bool) -> Void) {
        self.file = file
        self.onPicture = onPicture
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
        onPicture(packet.bytes.count, packet.isKeyframe)
    }
}
