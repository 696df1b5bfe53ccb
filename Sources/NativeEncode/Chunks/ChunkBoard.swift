import Foundation

/// What the chunk workers and the join share: which chunk is next, which are finished, the first
/// failure, and the title's progress as one job. Workers take chunks in order, so the join, which
/// waits for them in order, trails the workers closely.
final class ChunkBoard: @unchecked Sendable {
    let folder: ChunkFolder
    /// Raised on the first failure, or with the job's own flag: every worker stops.
    let stop: StopFlag
    private let condition = NSCondition()
    private var nextIndex = 0
    private var done: Set<Int>
    private var failure: EncodeError?
    /// Set when a chunk turned out not to fit the source (timestamps, sequence header): the title
    /// is then encoded in one piece instead.
    private(set) var mismatch: String?
    private var meter: ProgressMeter
    private var framesDone: Int
    private var bytesDone: Int64
    /// This run's encoded video, keyframes apart (for the size watch).
    private var video = EncodedVideoBytes()
    /// Said in the summary: chunks encoded again after their worker process died.
    private(set) var retries: [String] = []
    /// What each worker is doing, for progress reports.
    private var workers: [ChunkProgress.Worker] = []

    init(folder: ChunkFolder, framesTotal: Int, observer: ProgressObserver?, stop: StopFlag) {
        self.folder = folder
        self.stop = StopFlag(following: stop)
        let finished = folder.finished
        done = Set(finished.keys)
        framesDone = finished.values.reduce(0) { $0 + $1.frames }
        bytesDone = finished.values.reduce(0) { $0 + $1.bytes }
        meter = ProgressMeter(framesTotal: framesTotal, observer: observer, baseline: framesDone)
    }

    var plan: ChunkPlan { folder.plan }

    /// The next chunk nobody has encoded or taken yet; nil when there is none or the run failed.
    func claim() -> Int? {
        condition.withLock {
            while done.contains(nextIndex) { nextIndex += 1 }
            guard failure == nil, !stop.isRaised, nextIndex < plan.count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    /// A worker encoded one more picture.
    func encodedPicture(bytes: Int, isKeyframe: Bool) {
        condition.withLock {
            framesDone += 1
            bytesDone += Int64(bytes)
            video.add(bytes, isKeyframe: isKeyframe)
            meter.update(frames: framesDone, outputBytes: bytesDone, video: watchedVideo, chunks: chunkProgress)
        }
    }

    /// The video bytes a size watch may judge: this run's, when it started from the first
    /// picture. A resumed run's earlier chunks are counted as frames but not split into
    /// keyframes and others, so it reports none and is not judged (it passed the gate before).
    private var watchedVideo: EncodedVideoBytes {
        meter.baseline == 0 ? video : EncodedVideoBytes()
    }

    /// Worker `number` (on `cpus`) is at `chunk` in process `pid`; nil chunk: between chunks or done.
    func worker(_ number: Int, cpus: String, chunk: Int?, pid: Int32?) {
        condition.withLock {
            while workers.count <= number { workers.append(ChunkProgress.Worker(cpus: "", chunk: nil, pid: nil)) }
            workers[number] = ChunkProgress.Worker(cpus: cpus, chunk: chunk, pid: pid)
        }
    }

    /// Call with the lock held.
    private var chunkProgress: ChunkProgress {
        ChunkProgress(total: plan.count, finished: done.count, workers: workers)
    }

    /// A worker process died in the middle of chunk `index` (`how`): its pictures are taken
    /// back from the progress, and the chunk will be encoded again.
    func retry(_ index: Int, after how: String, counted: EncodedVideoBytes) {
        condition.withLock {
            framesDone -= counted.keyframes + counted.otherFrames
            bytesDone -= counted.keyframeBytes + counted.otherBytes
            video.remove(counted)
            retries.append("chunk \(index + 1) was encoded again: its worker process \(how)")
        }
    }

    /// Records a committed chunk in the manifest and wakes the join.
    func finished(_ chunk: ChunkFolder.FinishedChunk) throws(EncodeError) {
        try folder.recordFinished(chunk)
        condition.withLock {
            done.insert(chunk.index)
            condition.broadcast()
        }
    }

    /// The first failure wins; every worker and the join stop.
    func fail(_ error: EncodeError) {
        condition.withLock {
            if failure == nil { failure = error }
            condition.broadcast()
        }
        stop.raise()
    }

    /// A chunk that does not fit the source: the reason is kept, and the run stops.
    func reject(_ reason: String) -> EncodeError {
        condition.withLock { if mismatch == nil { mismatch = reason } }
        let error = EncodeError.encoder("chunk join: \(reason)")
        fail(error)
        return error
    }

    /// The join read the source's video packets for their times only, and they disagree with the
    /// chunks' pictures (a corrupt packet, a repaired or missing timestamp): the join is run again
    /// decoding the video, which judges the chunks. The workers go on meanwhile.
    private(set) var timingMisfit: String?

    func misfit(_ reason: String) -> EncodeError {
        condition.withLock { if timingMisfit == nil { timingMisfit = reason } }
        return .encoder("chunk join by packet times: \(reason)")
    }

    /// Blocks until chunk `index` is finished; throws the run's failure (or cancellation) instead.
    func waitFor(_ index: Int) throws(EncodeError) {
        let outcome: EncodeError? = condition.withLock {
            while !done.contains(index) {
                if let failure { return failure }
                if stop.isRaised { return .cancelled }
                // The job's stop flag is polled: it has no way to wake this condition.
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
            return nil
        }
        if let outcome { throw outcome }
    }
}
