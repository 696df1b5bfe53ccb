import AV1Daemon
import Foundation
import Testing

/// Chunked titles in the daemon (issue 14): a whole-daemon kill mid-title costs only the chunks
/// not yet finished; a source changed meanwhile is encoded afresh, never from its old chunks.
@Suite("Chunked titles in the daemon", .serialized)
struct ChunkDaemonTests {
    /// Two chunk workers on this machine's two CPUs, a preset slow enough to kill mid-title, no
    /// prediction (its samples would blur the CPU comparison).
    static let config = ["chunked": "2", "svt_preset": "4", "crf": "55", "predict": "false"]

    @Test("the daemon killed (SIGKILL, workers too) at ~70% of a chunked title finishes it after a restart with under half a full encode's CPU")
    func killedDaemonResumes() throws {
        // The reference: the same title encoded whole by a daemon that is never interrupted.
        let reference = try DaemonHarness(Self.config)
        try reference.add("chunky.mkv", as: "movie.mkv")
        try reference.start()
        #expect(reference.wait(timeout: 300) { reference.records(for: "movie.mkv").last?.status == .success }, "\(reference.log)")
        let fullCPU = try Self.childCPUSeconds(of: reference)
        _ = try reference.stop()

        let daemon = try DaemonHarness(Self.config)
        try daemon.add("chunky.mkv", as: "movie.mkv")
        try daemon.start()
        // Timed by the chunk manifest (job records are written at most once a second): 5 of 8 chunks done.
        let worker = try #require(Self.worker(of: daemon, pastChunks: 5), "\(daemon.log)")
        try Self.crash(daemon, worker: worker)
        let folder = try #require(Self.chunkFolder(of: daemon), "the chunk folder survives the kill: \(daemon.files(in: daemon.temp))")
        let (done, count) = try Self.manifest(in: folder)
        print("killed with \(done) of \(count) chunks finished")
        #expect(done < count - 1, "killed mid-title, not at its end: \(done) of \(count)")

        try daemon.start()
        #expect(daemon.wait(timeout: 300) { daemon.records(for: "movie.mkv").last?.status == .success }, "\(daemon.log)")
        let resumedCPU = try Self.childCPUSeconds(of: daemon)
        let job = try #require(daemon.records(for: "movie.mkv").last)
        _ = try daemon.stop()
        print(String(format: "chunked title: full encode %.2f CPU s, after the kill and restart %.2f CPU s (ratio %.2f)",
                     fullCPU, resumedCPU, resumedCPU / fullCPU))
        #expect(job.notes?.contains { $0.hasPrefix("resumed: ") } == true, "\(job.notes ?? [])")
        #expect(resumedCPU < fullCPU / 2, "resumed \(resumedCPU) CPU s against \(fullCPU) for the whole title")
        #expect(job.framesEncoded == 396)
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
        let attempts = daemon.records(for: "movie.mkv").map { "\($0.id) \($0.status) \($0.reason ?? "")" }
        #expect(daemon.files(in: daemon.temp).isEmpty, "chunks removed with the finished job: \(daemon.files(in: daemon.temp)); jobs: \(attempts) \(daemon.log)")
    }

    @Test("default configuration (chunked = auto, prediction on): a 42 s title killed at ~70% resumes without a second prediction, with under half the CPU")
    func defaultConfigurationResumes() throws {
        // No `chunked` key: auto chunks a title of 30 s or more for the resume, even on one L3 cache.
        let config = ["svt_preset": "4", "crf": "55"]
        let reference = try DaemonHarness(config)
        try reference.add("views-highrate.mkv", as: "movie.mkv")
        try reference.start()
        #expect(reference.wait(timeout: 600) { reference.records(for: "movie.mkv").last?.status == .success }, "\(reference.log)")
        let fullCPU = try Self.childCPUSeconds(of: reference)
        let whole = try #require(reference.records(for: "movie.mkv").last)
        _ = try reference.stop()
        #expect(whole.predictedRatio != nil, "the reference was predicted before its encode")
        #expect(whole.notes?.contains { $0.hasPrefix("encoded in ") && $0.contains(" chunks by ") } == true, "\(whole.notes ?? [])")

        let daemon = try DaemonHarness(config)
        try daemon.add("views-highrate.mkv", as: "movie.mkv")
        try daemon.start()
        let folderCount = try Self.chunkCount(ofFixture: reference)
        let worker = try #require(Self.worker(of: daemon, pastChunks: (folderCount * 7 + 9) / 10), "\(daemon.log)")
        try Self.crash(daemon, worker: worker)
        let (done, count) = try Self.manifest(in: try #require(Self.chunkFolder(of: daemon)))
        #expect(done < count, "killed mid-title: \(done) of \(count)")
        // What status and top showed while it ran: the title as one job, with its chunk workers.
        let live = try #require(daemon.records(for: "movie.mkv").last?.chunks, "the running job's record names its chunks")
        #expect(live.total == count && !live.workers.isEmpty && live.workers.allSatisfy { !$0.cpus.isEmpty }, "\(live)")

        try daemon.start()
        #expect(daemon.wait(timeout: 600) { daemon.records(for: "movie.mkv").last?.status == .success }, "\(daemon.log)")
        let resumedCPU = try Self.childCPUSeconds(of: daemon)
        let job = try #require(daemon.records(for: "movie.mkv").last)
        _ = try daemon.stop()
        print(String(format: "default config: full encode %.2f CPU s, after the kill (%d of %d chunks) and restart %.2f CPU s (ratio %.2f)",
                     fullCPU, done, count, resumedCPU, resumedCPU / fullCPU))
        #expect(job.notes?.contains { $0.hasPrefix("resumed: ") } == true, "\(job.notes ?? [])")
        #expect(job.predictedRatio == nil, "the resumed attempt did not predict again")
        #expect(resumedCPU < fullCPU / 2, "resumed \(resumedCPU) CPU s against \(fullCPU) for the whole title")
        #expect(job.framesEncoded == whole.framesEncoded)
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
    }

    @Test("with a quality target, a resumed title continues at the CRF its first attempt searched, without searching again")
    func qualityTargetResumesAtItsCRF() throws {
        let config = ["svt_preset": "8", "quality_target_ssim": "0.95"]
        let daemon = try DaemonHarness(config)
        try daemon.add("views-highrate.mkv", as: "movie.mkv")
        try daemon.start()
        let worker = try #require(Self.worker(of: daemon, pastChunks: 3), "\(daemon.log)")
        let searched = try #require(daemon.records(for: "movie.mkv").last?.crfUsed, "the first attempt searched a CRF")
        try Self.crash(daemon, worker: worker)
        #expect(daemon.records(for: "movie.mkv").last?.crfSearch != nil, "the first attempt's search is on record")

        try daemon.start()
        #expect(daemon.wait(timeout: 600) { daemon.records(for: "movie.mkv").last?.status == .success }, "\(daemon.log)")
        let job = try #require(daemon.records(for: "movie.mkv").last)
        _ = try daemon.stop()
        #expect(job.notes?.contains { $0.hasPrefix("resumed: ") } == true, "\(job.notes ?? [])")
        #expect(job.crfSearch == nil && job.predictedRatio == nil, "no second search or prediction")
        #expect(job.crfUsed == searched, "the resumed chunks and the rest share the searched CRF")
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
    }

    @Test("a source replaced while the daemon was down is encoded afresh, not from its old chunks")
    func changedSourceStartsAfresh() throws {
        let (daemon, source) = try Self.crashedDaemon(pastChunks: 3)

        try FileManager.default.removeItem(atPath: source)
        try daemon.add("chunky-vfr.mkv", as: "movie.mkv")
        try daemon.start()
        #expect(daemon.wait(timeout: 300) { daemon.records(for: "movie.mkv").last?.status == .success }, "\(daemon.log)")
        let job = try #require(daemon.records(for: "movie.mkv").last)
        _ = try daemon.stop()
        #expect(job.notes?.contains { $0.contains("discarded") && $0.contains("the source changed") } == true, "\(job.notes ?? []) \(daemon.log)")
        #expect(job.framesEncoded == 160, "the new title's pictures")
        #expect(Media.decodesCleanly(daemon.library + "/movie.mkv"))
        #expect(daemon.files(in: daemon.temp).isEmpty, "\(daemon.files(in: daemon.temp))")
    }

    @Test("the chunks of a title deleted while the daemon was down are removed at start-up")
    func deletedSourceChunksGo() throws {
        let (daemon, source) = try Self.crashedDaemon(pastChunks: 2)
        let folder = try #require(Self.chunkFolder(of: daemon), "the killed job's chunks are kept")

        try FileManager.default.removeItem(atPath: source)
        try daemon.start()
        #expect(daemon.wait(timeout: 60) { !FileManager.default.fileExists(atPath: folder) }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(daemon.log.contains("removed the chunks of a title no job encodes any more"), "\(daemon.log)")
        #expect(Self.chunkFolder(of: daemon) == nil, "\(daemon.files(in: daemon.temp))")
    }

    /// A daemon encoding chunky.mkv as movie.mkv, crashed (with its worker) once `chunks` chunks
    /// are finished; and the source's path.
    static func crashedDaemon(pastChunks chunks: Int) throws -> (DaemonHarness, String) {
        let daemon = try DaemonHarness(config)
        let source = try daemon.add("chunky.mkv", as: "movie.mkv")
        try daemon.start()
        let pid = try #require(Self.worker(of: daemon, pastChunks: chunks), "\(daemon.log)")
        try Self.crash(daemon, worker: pid)
        return (daemon, source)
    }

    /// The encode worker's pid once its chunk manifest records `chunks` finished chunks.
    static func worker(of daemon: DaemonHarness, pastChunks chunks: Int) -> Int32? {
        var pid: Int32?
        _ = daemon.wait(timeout: 300, poll: 0.01) {
            guard let folder = chunkFolder(of: daemon), let (done, _) = try? manifest(in: folder), done >= chunks else { return false }
            pid = daemon.records(for: "movie.mkv").last?.workerPid
            return pid != nil
        }
        return pid
    }

    /// How many chunks the finished reference job's title was encoded in (its "encoded in N chunks" note).
    static func chunkCount(ofFixture daemon: DaemonHarness) throws -> Int {
        let note = try #require(daemon.records(for: "movie.mkv").last?.notes?.first { $0.hasPrefix("encoded in ") && $0.contains(" chunks by ") })
        return try #require(Int(note.dropFirst("encoded in ".count).prefix { $0.isNumber }))
    }

    static func chunkFolder(of daemon: DaemonHarness) -> String? {
        daemon.files(in: daemon.temp).first { $0.hasPrefix("chunks-") }.map { daemon.temp + "/" + $0 }
    }

    /// Finished chunks and all chunks, as the manifest records them.
    static func manifest(in folder: String) throws -> (done: Int, count: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cuts = (manifest["plan"] as? [String: Any])?["cuts"] as? [Any] ?? []
        return ((manifest["finished"] as? [Any])?.count ?? 0, cuts.count + 1)
    }

    /// A power cut as far as av1d can tell: the daemon and its worker die at once. The daemon
    /// goes first: one that outlived its worker even briefly would see a killed worker (a failed
    /// attempt, whose chunks are removed), not a power cut.
    static func crash(_ daemon: DaemonHarness, worker: Int32) throws {
        try daemon.crash()
        kill(worker, SIGKILL)
    }

    /// CPU seconds of the daemon's children it has reaped (its workers): cutime + cstime.
    static func childCPUSeconds(of daemon: DaemonHarness) throws -> Double {
        let pid = try #require(daemon.process).processIdentifier
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) start at field 3 (state).
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(fields[13])! + Double(fields[14])!) / ticks
    }
}
