import Foundation
import LinuxSupport

/// One chunk worker, seen from the job: a thread that keeps one `av1d chunk-worker` process
/// (confined to the worker's CPU set) busy with chunks off the board, in order, and records each
/// chunk the process finishes. A process that dies without finishing its chunk (a crash inside
/// the encoder) costs that chunk, which a new process encodes again; a chunk that ends
/// `attemptsPerChunk` processes fails the job.
struct ChunkWorker: Sendable {
    static let attemptsPerChunk = 2

    /// This worker's place among the run's workers.
    let number: Int
    let executable: String
    let source: String
    let settings: EncodeSettings
    let cpus: CPUSet
    let board: ChunkBoard
    let processes: ChunkProcessList

    /// Runs until no chunk is left or the run stops; a failure is handed to the board.
    func run() {
        var process: ChunkWorkerProcess?
        defer {
            board.worker(number, cpus: "\(cpus)", chunk: nil, pid: nil)
            if let process {
                process.finish()
                processes.ended(process, worker: number)
            }
            // No chunk left for this worker: its CPUs help the workers still at their last chunks.
            processes.retire(cpus)
        }
        do throws(EncodeError) {
            while let index = board.claim() {
                guard try encode(index, in: &process) else { return }
            }
        } catch {
            board.fail(error)
        }
    }

    /// Encodes chunk `index` in `process` (started when there is none), and again in a new one
    /// if it dies; false when the run was stopped meanwhile.
    private func encode(_ index: Int, in process: inout ChunkWorkerProcess?) throws(EncodeError) -> Bool {
        let window = board.plan.window(index)
        let task = ChunkTask(index: index, start: window.start, end: window.end, path: board.folder.chunkPath(index))
        var attempt = 1
        while true {
            let current: ChunkWorkerProcess
            if let process { current = process } else { current = try start() }
            process = current
            board.worker(number, cpus: "\(cpus)", chunk: index, pid: current.pid)
            var counted = EncodedVideoBytes()
            let outcome = current.encode(task) { bytes, isKeyframe in
                counted.add(bytes, isKeyframe: isKeyframe)
                board.encodedPicture(bytes: bytes, isKeyframe: isKeyframe)
            }
            switch outcome {
            case .finished(let chunk):
                try board.finished(chunk)
                return true
            case .failed(.mismatch(let reason)):
                throw board.reject(reason)
            case .failed(let failure):
                throw failure.encodeError
            case .died(let how):
                processes.ended(current, worker: number)
                process = nil
                if board.stop.isRaised { return false }
                guard attempt < Self.attemptsPerChunk else {
                    throw .encoder("chunk \(index + 1): its worker process \(how), \(attempt) times")
                }
                attempt += 1
                board.retry(index, after: how, counted: counted)
            }
        }
    }

    private func start() throws(EncodeError) -> ChunkWorkerProcess {
        // A process started after other workers retired (a retry near the end) gets their CPUs too.
        let setup = ChunkWorkerSetup(source: source, settings: settings, cpus: "\(processes.widened(cpus))")
        let process = try EncodeError.system { () throws(SystemError) in
            try ChunkWorkerProcess(executable: executable, setup: setup)
        }
        processes.add(process, cpus: cpus)
        return process
    }
}

/// The chunk worker processes of one run, so that stopping the run ends them all at once, and
/// what they used.
final class ChunkProcessList: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [ObjectIdentifier: (process: ChunkWorkerProcess, cpus: CPUSet)] = [:]
    private var stopped = false
    /// The CPUs of workers that have no chunk left.
    private var retired = CPUSet([])
    /// The highest peak of the processes each worker ran (they run one after another).
    private var peaks: [Int: Int] = [:]

    func add(_ process: ChunkWorkerProcess, cpus: CPUSet) {
        let late = lock.withLock {
            if !stopped { running[ObjectIdentifier(process)] = (process, cpus) }
            return stopped
        }
        // Started while the run was being stopped: it goes too.
        if late { process.kill() }
    }

    /// A process has ended (and was reaped).
    func ended(_ process: ChunkWorkerProcess, worker: Int) {
        lock.withLock {
            running.removeValue(forKey: ObjectIdentifier(process))
            peaks[worker] = max(peaks[worker] ?? 0, process.peakRSSBytes)
        }
    }

    /// The workers' peak memory together: each worker's processes run one after another, the
    /// workers side by side.
    var peakRSSBytes: Int { lock.withLock { peaks.values.reduce(0, +) } }

    func killAll() {
        let all = lock.withLock {
            stopped = true
            return running.values.map(\.process)
        }
        for process in all { process.kill() }
    }

    /// `cpus` plus those of the workers that have no chunk left.
    func widened(_ cpus: CPUSet) -> CPUSet {
        lock.withLock { CPUSet(Set(cpus.cpus).union(retired.cpus)) }
    }

    /// A worker has no chunk left: the processes still encoding may run on its CPUs too, so the
    /// last chunks of a title do not leave CPUs idle. (Their encoders keep the thread count they
    /// started with; their threads only get more room.)
    func retire(_ cpus: CPUSet) {
        let moves = lock.withLock {
            retired = CPUSet(Set(retired.cpus).union(cpus.cpus))
            return running.values.map { ($0.process.pid, CPUSet(Set($0.cpus.cpus).union(retired.cpus))) }
        }
        for (pid, set) in moves { CPUAffinity.confine(process: pid, to: set) }
    }
}
