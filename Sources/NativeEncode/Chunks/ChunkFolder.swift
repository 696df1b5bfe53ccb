import Foundation
import LinuxSupport

/// The folder holding one title's finished chunks and the manifest that records them, so a later
/// run of the same encode (after a kill, a crash, a reboot) continues at the first unfinished
/// chunk. The manifest names the source (`FileIdentity`) and the settings: a run for another
/// source or other settings discards what it finds. Only files of its own are ever removed.
package final class ChunkFolder: @unchecked Sendable {
    /// What the folder holds, written atomically after each chunk is durable.
    struct Manifest: Codable, Equatable {
        /// 2: chunk files carry each picture's duration (`ChunkFile.magic` AV1DCHK2).
        static let currentVersion = 2
        var version = currentVersion
        var source: FileIdentity
        /// The settings that shape the bitstream (`EncodeSettings.chunkKey`).
        var settings: EncodeSettings
        var plan: ChunkPlan
        var finished: [FinishedChunk] = []
    }

    struct FinishedChunk: Codable, Equatable {
        var index: Int
        var frames: Int
        var bytes: Int64
    }

    static let manifestName = "manifest.json"

    let path: String
    let plan: ChunkPlan
    /// Said in the summary: chunks taken over, or why earlier ones were discarded.
    let note: String?
    private let lock = NSLock()
    private var manifest: Manifest

    /// Opens (creating it if needed) the folder for this source and settings. `makePlan` runs only
    /// when there is nothing to resume; its failure (a title that cannot be split) is returned as is.
    static func open(_ path: String, source: FileIdentity, settings: EncodeSettings,
                     makePlan: () throws(EncodeError) -> Result<ChunkPlan, ChunkPlan.Unsplittable>)
        throws(EncodeError) -> Result<ChunkFolder, ChunkPlan.Unsplittable> {
        try EncodeError.system { () throws(SystemError) in
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw SystemError("create the chunk folder", path: path) }
        }
        let key = settings.chunkKey
        var note: String?
        if let earlier = readManifest(in: path) {
            if let kept = takeOver(earlier, in: path, source: source, key: key) {
                var resumed = earlier
                resumed.finished = kept
                if !kept.isEmpty { note = "resumed: \(kept.count) of \(earlier.plan.count) chunks were already encoded" }
                return .success(try ChunkFolder(path: path, manifest: resumed, note: note))
            }
            let why = earlier.source != source
                ? "the source changed (\(source.differences(from: earlier.source).joined(separator: ", ")))"
                : earlier.settings != key ? "the settings changed" : "they were written by an older av1d"
            note = "\(earlier.finished.count) chunks of an earlier run were discarded and the encode started afresh: \(why)"
        }
        clear(path)
        switch try makePlan() {
        case .failure(let reason): return .failure(reason)
        case .success(let plan):
            return .success(try ChunkFolder(path: path, manifest: Manifest(source: source, settings: key, plan: plan), note: note))
        }
    }

    /// How many finished chunks a run of this encode would take over from `path` (0 when there is
    /// no folder, or it is for another source or other settings). Reads only.
    package static func resumableChunks(in path: String, input: String, settings: EncodeSettings) -> Int {
        guard let earlier = readManifest(in: path), let source = try? FileIdentity(path: input) else { return 0 }
        return takeOver(earlier, in: path, source: source, key: settings.chunkKey)?.count ?? 0
    }

    /// The chunks of `earlier` a run for `source` with settings `key` takes over (those whose
    /// files are still whole); nil when it is for another source, other settings or an older av1d.
    private static func takeOver(_ earlier: Manifest, in path: String, source: FileIdentity,
                                 key: EncodeSettings) -> [FinishedChunk]? {
        guard earlier.version == Manifest.currentVersion && earlier.source == source && earlier.settings == key else { return nil }
        return earlier.finished.filter { OutputTarget.size(of: chunkPath($0.index, in: path)) == $0.bytes }
    }

    /// The CRF an earlier attempt of this encode chose by its quality target's search, when
    /// `path` holds finished chunks of it (same source, same settings but the CRF): a resumed
    /// attempt continues at that CRF instead of searching again. Reads only.
    package static func resumableCRF(in path: String, input: String, settings: EncodeSettings) -> Int? {
        guard let earlier = readManifest(in: path), let chosen = earlier.settings.crf else { return nil }
        var resumed = settings
        resumed.crf = chosen
        return resumableChunks(in: path, input: input, settings: resumed) > 0 ? chosen : nil
    }

    private init(path: String, manifest: Manifest, note: String?) throws(EncodeError) {
        self.path = path
        self.manifest = manifest
        plan = manifest.plan
        self.note = note
        try save()
    }

    /// Chunks already encoded, by index.
    var finished: [Int: FinishedChunk] {
        lock.withLock { Dictionary(manifest.finished.map { ($0.index, $0) }, uniquingKeysWith: { $1 }) }
    }

    func chunkPath(_ index: Int) -> String { Self.chunkPath(index, in: path) }

    /// Records a chunk whose file is committed (synced, renamed); from now on a new run skips it.
    func recordFinished(_ chunk: FinishedChunk) throws(EncodeError) {
        lock.lock()
        defer { lock.unlock() }
        manifest.finished.append(chunk)
        try save()
    }

    /// Removes the chunks and the manifest, and the folder when nothing else is in it.
    func remove() {
        Self.clear(path)
        rmdir(path)
    }

    private func save() throws(EncodeError) {
        let data: Data
        do { data = try JSONEncoder.av1dPretty.encode(manifest) } catch {
            throw .output("cannot describe the chunk manifest: \(error)")
        }
        try EncodeError.system { () throws(SystemError) in try AtomicFile.write(data, to: "\(path)/\(Self.manifestName)") }
    }

    private static func readManifest(in path: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: "\(path)/\(manifestName)") else { return nil }
        return try? JSONDecoder.av1d.decode(Manifest.self, from: data)
    }

    private static func chunkPath(_ index: Int, in path: String) -> String {
        "\(path)/chunk-\(String(format: "%05d", index)).av1c"
    }

    /// Deletes the folder's own files (chunks, partial chunks, the manifest), nothing else.
    private static func clear(_ path: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names where name.hasPrefix("chunk-") || name.hasPrefix(manifestName) {
            unlink("\(path)/\(name)")
        }
    }
}

extension EncodeSettings {
    /// The settings with what does not shape the encoded bitstream left out (CPUs, threads, queue
    /// depth, logs, the chunk mode): a resumed job may run on other CPUs with other workers.
    var chunkKey: EncodeSettings {
        var key = self
        key.cpus = nil
        key.threads = nil
        key.queueDepth = EncodeSettings().queueDepth
        key.verbose = false
        key.chunks = .auto
        return key
    }
}
