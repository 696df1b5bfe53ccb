import CFFmpeg
import Foundation
import LinuxSupport

/// The chunk workers of one title, started before the join pass and running beside it: one
/// `av1d chunk-worker` process per CPU set (see `ChunkEncoder` for why not threads), each kept
/// busy with chunks off the board, in order, by a thread of this process.
final class ChunkedRun {
    let board: ChunkBoard
    /// A folder the caller named (to resume from later) outlives a failed run; a temporary one does not.
    private let callerFolder: Bool
    private var threads: [PipelineThread]
    private let processes = ChunkProcessList()

    /// Chunks, or one piece (with the reason when chunks were asked for by count).
    enum Decision {
        case chunked(ChunkedRun)
        case whole(note: String?)
    }

    /// Decides whether the title is split and, if so, starts the workers. `folder` is where chunks
    /// are kept for a later run to resume; nil keeps them next to the output only while this runs.
    static func start(input: String, output: String, settings: EncodeSettings, cpus: CPUSet, folder: String?,
                      observer: ProgressObserver?, stop: StopFlag) throws(EncodeError) -> Decision {
        guard settings.segment == nil, settings.encoder != .aom, settings.chunks != .off else { return .whole(note: nil) }
        guard let executable = ChunkWorkerProcess.executable else {
            return .whole(note: settings.chunks == .auto ? nil : "encoded in one piece: no chunk worker program here")
        }
        let probe = try MediaInput(path: input, stop: stop)
        let source = SourceInfo(probe)
        // Nothing to do, or nothing to split: the one-piece path says why in its own words.
        guard let videoIndex = source.videoIndex, !source.isAV1 else { return .whole(note: nil) }
        let parameters = probe.stream(videoIndex).parameters.pointee
        let seconds = probe.context.pointee.duration > 0 ? Double(probe.context.pointee.duration) / Double(AV_TIME_BASE) : 0
        guard let sets = ChunkRule.workerSets(mode: settings.chunks, cpus: cpus, titleSeconds: seconds,
                                              domains: ChunkRule.cacheDomains(of: cpus), resumable: folder != nil) else {
            return .whole(note: settings.chunks == .auto ? nil : "encoded in one piece: no CPU for a chunk worker")
        }
        guard SvtEncoder.accepts(width: Int(parameters.width), height: Int(parameters.height)) else {
            return .whole(note: settings.chunks == .auto ? nil : "encoded in one piece: chunks need SVT-AV1, which cannot take this picture size")
        }
        let identity = try EncodeError.system { () throws(SystemError) in try FileIdentity(path: input) }
        let path = folder ?? OutputTarget.temporaryPath(for: output + ".chunks")
        let opened = try ChunkFolder.open(path, source: identity, settings: settings) { () throws(EncodeError) in
            try ChunkPlan.make(path: input, workers: sets.count)
        }
        switch opened {
        case .failure(let reason):
            rmdir(path)
            return .whole(note: settings.chunks == .auto ? nil : "encoded in one piece: the source cannot be split, \(reason)")
        case .success(let chunkFolder):
            let board = ChunkBoard(folder: chunkFolder, framesTotal: source.estimatedFrames, observer: observer, stop: stop)
            // A chunk worker that died makes writes to its pipe fail with EPIPE instead of a signal.
            signal(SIGPIPE, SIG_IGN)
            return .chunked(ChunkedRun(board: board, sets: sets, input: input, settings: settings, executable: executable,
                                       callerFolder: folder != nil))
        }
    }

    private init(board: ChunkBoard, sets: [CPUSet], input: String, settings: EncodeSettings, executable: String,
                 callerFolder: Bool) {
        self.board = board
        self.callerFolder = callerFolder
        let processes = self.processes
        threads = sets.enumerated().map { number, cpus in
            let worker = ChunkWorker(number: number, executable: executable, source: input, settings: settings, cpus: cpus,
                                     board: board, processes: processes)
            return PipelineThread(name: "av1d-chunk-\(number)") { worker.run() }
        }
    }

    var workers: Int { threads.count }
    /// The chunk worker processes' peak memory together (complete once the run has ended).
    var workersPeakRSSBytes: Int { processes.peakRSSBytes }
    var note: String? { board.folder.note }

    /// Stops the workers (if any still run) and waits for them.
    func stopAndJoin() {
        board.stop.raise()
        processes.killAll()
        for thread in threads { thread.join() }
    }

    /// After the title is written, or when it is given up: the chunks go, unless the caller keeps
    /// them to resume from (a failure other than a mismatch, with a folder of the caller's).
    func end(succeeded: Bool) {
        stopAndJoin()
        if succeeded || !callerFolder || board.mismatch != nil { board.folder.remove() }
    }
}
