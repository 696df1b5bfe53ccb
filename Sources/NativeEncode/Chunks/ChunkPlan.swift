import CFFmpeg
import Foundation
import LinuxSupport

/// Where a title is cut into chunks: each cut is a source keyframe, so every chunk decodes from
/// its own start, and chunk k holds the pictures with presentation times in [cuts[k-1], cuts[k])
/// (video time base, on the `SourceTimeline`: the file's start time taken out). The first chunk
/// has no lower bound and the last no upper one, so no picture falls outside every chunk.
struct ChunkPlan: Codable, Equatable, Sendable {
    var cuts: [Int64]

    var count: Int { cuts.count + 1 }

    /// The window of chunk `index` (pictures in [start, end)).
    func window(_ index: Int) -> (start: Int64, end: Int64?) {
        (index == 0 ? Int64.min : cuts[index - 1], index < cuts.count ? cuts[index] : nil)
    }

    /// Chunks of about `ChunkRule.targetSeconds`, at least `ChunkRule.chunksPerWorker` per worker
    /// so the last ones balance, and at least `ChunkRule.minimumChunks` (as the source's keyframes allow). Either a plan of two or more chunks, or why not.
    static func make(path: String, workers: Int) throws(EncodeError) -> Result<ChunkPlan, Unsplittable> {
        let input = try MediaInput(path: path)
        guard let videoIndex = SourceInfo(input).videoIndex else { throw .nothingToDo(.noVideoStream) }
        let context = input.context.pointee
        // Clocks that may jump (MPEG-TS) are straightened while reading from the start; a chunk
        // read from the middle could not know the offsets.
        if let format = context.iformat, format.pointee.flags & AVFMT_TS_DISCONT != 0 { return .failure(.clockMayJump) }
        guard context.duration > 0 else { return .failure(.unknownLength) }
        let seconds = Double(context.duration) / Double(AV_TIME_BASE)
        let count = max(Int((seconds / ChunkRule.targetSeconds).rounded(.up)), workers * ChunkRule.chunksPerWorker,
                        ChunkRule.minimumChunks)
        let finder = try KeyframeFinder(input: input, videoIndex: videoIndex)
        // The first chunk starts with the first keyframe; every cut lies after the one before.
        guard let first = finder.keyframePts(atOrBefore: 0) else { return .failure(.cannotSeek) }
        var cuts: [Int64] = []
        for step in 1..<count {
            guard let keyframe = finder.keyframePts(atOrBefore: seconds * Double(step) / Double(count)) else {
                return .failure(.cannotSeek)
            }
            if keyframe > (cuts.last ?? first) { cuts.append(keyframe) }
        }
        return cuts.isEmpty ? .failure(.tooFewKeyframes) : .success(ChunkPlan(cuts: cuts))
    }

    /// Why a title is encoded in one piece although chunks were asked for.
    enum Unsplittable: Error, CustomStringConvertible {
        case clockMayJump, unknownLength, cannotSeek, tooFewKeyframes

        var description: String {
            switch self {
            case .clockMayJump: "its container's clock may jump (MPEG-TS)"
            case .unknownLength: "its length is unknown"
            case .cannotSeek: "it cannot be searched for keyframes"
            case .tooFewKeyframes: "it has too few keyframes"
            }
        }
    }
}

/// When `chunks = auto` splits, and how big chunks are.
public enum ChunkRule {
    /// Shorter titles are encoded in one piece: a restart costs little, and chunks shorter than a
    /// few seconds cost more in encoder starts than they save.
    public static let autoMinimumSeconds = 30.0
    /// Chunks last about this long in long titles (a keyframe decides the exact cut).
    public static let targetSeconds = 30.0
    /// At least this many chunks per worker, so the last chunks spread over all workers.
    public static let chunksPerWorker = 4
    /// At least this many chunks in all: a restart loses one chunk's work at most.
    public static let minimumChunks = 8

    /// The CPU set of each chunk worker for a job on `cpus`, or nil for one piece. `auto` splits
    /// titles long enough: one worker per L3 cache domain of the job's CPUs, or, when they share
    /// one cache and the chunks are kept for a later run (`resumable`), one worker on all of them;
    /// a count gives that many equal slices (one per domain when the counts agree; 1: all the CPUs).
    public static func workerSets(mode: ChunkMode, cpus: CPUSet, titleSeconds: Double, domains: [CPUSet],
                                  resumable: Bool) -> [CPUSet]? {
        switch mode {
        case .off: return nil
        case .auto:
            guard titleSeconds >= autoMinimumSeconds else { return nil }
            if domains.count >= 2 { return domains }
            // One cache: one worker on all the CPUs, for the resume only (a restart loses a chunk
            // at most), so only where the chunks outlive the run.
            return resumable ? [cpus] : nil
        case .workers(let wanted):
            let count = min(wanted, cpus.count)
            guard count >= 1 else { return nil }
            if count == 1 { return [cpus] }
            if domains.count == count { return domains }
            return (0..<count).map { slice in
                CPUSet(cpus.cpus.enumerated().filter { $0.offset * count / cpus.count == slice }.map(\.element))
            }
        }
    }

    /// The job's CPUs grouped by the L3 cache they share (`cache/index3/shared_cpu_list` in sysfs);
    /// CPUs without that file form one group.
    public static func cacheDomains(of cpus: CPUSet, sysfsRoot: String = "/sys") -> [CPUSet] {
        var groups: [CPUSet] = []
        var placed = Set<Int>()
        for cpu in cpus.cpus where !placed.contains(cpu) {
            let list = try? String(contentsOfFile: "\(sysfsRoot)/devices/system/cpu/cpu\(cpu)/cache/index3/shared_cpu_list", encoding: .utf8)
            let shared = list.flatMap { CPUSet(list: $0) }.map { Set($0.cpus).intersection(cpus.cpus) } ?? Set(cpus.cpus).subtracting(placed)
            let group = shared.union([cpu]).subtracting(placed)
            placed.formUnion(group)
            groups.append(CPUSet(group))
        }
        return groups
    }
}
