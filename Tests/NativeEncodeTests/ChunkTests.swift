import Foundation
import Synchronization
import LinuxSupport
@testable import NativeEncode
import Testing

/// Chunked encoding (issue 14): a title split at its keyframes, encoded by several SVT-AV1
/// instances side by side and joined, must be what a one-piece encode is for a player and for the
/// verifier; finished chunks survive an interruption and a new run continues from them, unless the
/// source or the settings changed.
@Suite("Chunked encoding")
struct ChunkTests {
    init() {
        // Chunk workers are processes of the av1d program, built beside this test bundle.
        ChunkWorkerProcess.executable = Binaries.av1d
    }

    @Test("a chunked encode equals a one-piece encode: frames, timestamps, streams, sync, keyframes, clean decode",
          arguments: ["chunky.mkv", "chunky-vfr.mkv"])
    func chunkedEqualsOnePiece(name: String) throws {
        let scratch = try Scratch()
        let whole = scratch.path("whole.mkv"), chunked = scratch.path("chunked.mkv")
        let one = try Transcoder(settings: fastSettings { $0.chunks = .off }).encode(input: Fixtures.path(name), output: whole)
        let split = try Transcoder(settings: fastSettings { $0.chunks = .workers(2) }).encode(input: Fixtures.path(name), output: chunked)
        let chunks = try #require(split.notes.compactMap(Self.chunkCount).first, "notes: \(split.notes)")
        #expect(chunks >= 4, "at least chunksPerWorker chunks per worker")
        #expect(one.notes.compactMap(Self.chunkCount).isEmpty)
        #expect(split.framesEncoded == one.framesEncoded)
        // The join took the chunks' pictures by the source's packet times, without decoding the video again.
        #expect(!split.notes.contains { $0.hasPrefix("the join decoded the video again") }, "\(split.notes)")
        #expect(split.framesDecoded == one.framesDecoded)

        // Same pictures at the same times (VFR included), same streams, same audio and subtitle packets.
        #expect(try Self.packets(chunked, "v:0") == Self.packets(whole, "v:0"))
        #expect(try Self.packets(chunked, "a:0") == Self.packets(whole, "a:0"))
        #expect(try Self.packets(chunked, "s") == Self.packets(whole, "s"))
        #expect(try Self.streamList(chunked) == Self.streamList(whole))
        #expect(try Self.packets(whole, "v:0").count == split.framesEncoded)

        // Keyframes only at chunk starts (each a source keyframe; chunks are shorter than the keyframe interval).
        let keyframes = try Self.keyframeTimes(chunked)
        #expect(keyframes.count == chunks, "\(keyframes)")
        let sourceKeyframes = Set(try Self.keyframeTimes(Fixtures.path(name)))
        #expect(keyframes.allSatisfy(sourceKeyframes.contains), "\(keyframes) against \(sourceKeyframes.sorted())")

        // Decodes cleanly, from the start and after a seek, and passes the verifier against its source.
        for seek in [[], ["-ss", "5.5"]] {
            let decode = try Run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error"] + seek + ["-i", chunked, "-f", "null", "-"])
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(seek): \(decode.stderr)")
        }
        #expect(try OutputVerifier.verify(path: chunked, summary: split).frames == one.framesEncoded)
        #expect(Set(scratch.contents) == ["whole.mkv", "chunked.mkv"], "no chunk folder left behind")
    }

    @Test("an interrupted chunked encode keeps its finished chunks; the next run continues from them")
    func resumesFromFinishedChunks() throws {
        let scratch = try Scratch()
        let folder = scratch.path("chunks"), output = scratch.path("out.mkv")
        let settings = Self.slowerSettings
        let finished = try Self.interrupt(settings: settings, input: Fixtures.path("chunky.mkv"), output: output, folder: folder)
        let recordedFrames = try Self.manifestFrames(in: folder)
        #expect(finished >= 1 && recordedFrames > 0)

        // The resumed run counts the recorded chunks as done from its first report on, and says so.
        let first = FirstProgress()
        let summary = try Transcoder(settings: settings).encode(input: Fixtures.path("chunky.mkv"), output: output,
                                                               observer: first.note, chunkFolder: folder)
        #expect(summary.notes.contains { $0.hasPrefix("resumed: \(finished) of ") }, "\(summary.notes)")
        #expect((first.frames ?? 0) >= recordedFrames, "first report \(first.frames ?? -1) frames, \(recordedFrames) were done")
        let whole = try Transcoder(settings: fastSettings { $0.chunks = .off }).encode(input: Fixtures.path("chunky.mkv"),
                                                                                     output: scratch.path("whole.mkv"))
        #expect(try Self.packets(output, "v:0").map(\.pts) == Self.packets(scratch.path("whole.mkv"), "v:0").map(\.pts))
        #expect(summary.framesEncoded == whole.framesEncoded)
        #expect(!FileManager.default.fileExists(atPath: folder), "a finished title's chunks are removed")
    }

    @Test("a source changed after the interruption is not resumed from its old chunks, and the summary says so")
    func changedSourceStartsAfresh() throws {
        let scratch = try Scratch()
        let input = scratch.path("title.mkv"), folder = scratch.path("chunks"), output = scratch.path("out.mkv")
        try FileManager.default.copyItem(atPath: Fixtures.path("chunky.mkv"), toPath: input)
        let finished = try Self.interrupt(settings: Self.slowerSettings, input: input, output: output, folder: folder)
        #expect(finished >= 1)
        // Another title under the same name (as a library tool replacing a file would leave it).
        try FileManager.default.removeItem(atPath: input)
        try FileManager.default.copyItem(atPath: Fixtures.path("chunky-vfr.mkv"), toPath: input)
        let summary = try Transcoder(settings: Self.slowerSettings).encode(input: input, output: output, chunkFolder: folder)
        #expect(summary.notes.contains { $0.contains("discarded") && $0.contains("the source changed") }, "\(summary.notes)")
        #expect(!summary.notes.contains { $0.hasPrefix("resumed") })
        #expect(summary.framesEncoded == 160, "the new source's pictures, not the old one's")
        #expect(try Self.packets(output, "v:0").count == 160)
        #expect(try OutputVerifier.verify(path: output, summary: summary).frames == 160)
    }

    @Test("changed settings start afresh too")
    func changedSettingsStartAfresh() throws {
        let scratch = try Scratch()
        let folder = scratch.path("chunks"), output = scratch.path("out.mkv")
        #expect(try Self.interrupt(settings: Self.slowerSettings, input: Fixtures.path("chunky.mkv"), output: output, folder: folder) >= 1)
        var changed = Self.slowerSettings
        changed.crf = 45
        let summary = try Transcoder(settings: changed).encode(input: Fixtures.path("chunky.mkv"), output: output, chunkFolder: folder)
        #expect(summary.notes.contains { $0.contains("discarded") && $0.contains("the settings changed") }, "\(summary.notes)")
        #expect(summary.crf == 45)
    }

    @Test("a chunk worker process that crashes costs its chunk only: the chunk is encoded again and the title is whole")
    func crashedWorkerCostsOneChunk() throws {
        let scratch = try Scratch()
        let whole = scratch.path("whole.mkv"), chunked = scratch.path("chunked.mkv")
        let one = try Transcoder(settings: fastSettings { $0.chunks = .off }).encode(input: Fixtures.path("chunky.mkv"), output: whole)
        // Progress names each worker's process and chunk: the first worker seen mid-chunk gets
        // SIGSEGV, as from a crash inside the encoder.
        let crashed = Mutex<Int32?>(nil)
        let split = try Transcoder(settings: Self.slowerSettings).encode(input: Fixtures.path("chunky.mkv"), output: chunked, observer: { progress in
            guard let worker = progress.chunks?.workers.first(where: { $0.chunk != nil && $0.pid != nil }),
                  progress.framesEncoded >= 5 else { return }
            crashed.withLock { pid in
                guard pid == nil else { return }
                pid = worker.pid
                kill(worker.pid!, SIGSEGV)
            }
        })
        #expect(crashed.withLock { $0 } != nil, "no chunk worker was seen at work")
        #expect(split.notes.contains { $0.contains("was encoded again: its worker process killed by signal 11") }, "\(split.notes)")
        #expect(split.framesEncoded == one.framesEncoded)
        #expect(try Self.packets(chunked, "v:0").map(\.pts) == Self.packets(whole, "v:0").map(\.pts))
        #expect(try OutputVerifier.verify(path: chunked, summary: split).frames == one.framesEncoded)
    }

    @Test("a chunked encode feeds the size watch: a title on course to grow is judged off course part-way and stopped")
    func chunkedEncodeIsWatched() throws {
        let scratch = try Scratch()
        // views-lean.mp4 (42 s, a lean web release) grows at CRF 16; one chunk worker, chunks kept.
        let input = Fixtures.path("views-lean.mp4")
        let settings = fastSettings { $0.crf = 16; $0.chunks = .workers(1) }
        let source = SourceInfo(try MediaInput(path: input))
        let watch = try #require(SizeWatch(
            maxSizeRatio: 1.0, source: try SourceStreamBytes(path: input, durationSeconds: source.durationSeconds),
            originalBytes: OutputTarget.size(of: input), keyframeInterval: settings.resolvedKeyframeInterval(framesPerSecond: source.frameRate),
            miniGOP: settings.miniGOP))
        let stop = StopFlag()
        let judged = Mutex<(projection: SizeWatch.Projection, chunks: ChunkProgress?)?>(nil)
        let outcome = Result { () throws(EncodeError) in
            try Transcoder(settings: settings).encode(input: input, output: scratch.path("out.mkv"), observer: { progress in
                guard let projection = watch.projection(after: progress), projection.isOffCourse else { return }
                judged.withLock { $0 = $0 ?? (projection, progress.chunks) }
                stop.raise()
            }, stop: stop, chunkFolder: scratch.path("chunks"))
        }
        guard case .failure(.cancelled) = outcome else {
            Issue.record("the watch was to stop the encode: \(outcome)")
            return
        }
        let (projection, chunks) = try #require(judged.withLock { $0 })
        #expect(chunks != nil, "judged from a chunked encode's progress")
        #expect(projection.share >= SizeWatch.earliestShare && projection.share < 1 && projection.ratio > 1, "\(projection)")
    }

    @Test("a worker with no chunk left gives its CPUs to the workers still encoding",
          .enabled(if: CPUAffinity.current().count >= 2, "needs two CPUs"))
    func retiredWorkerLendsItsCPUs() throws {
        let cpus = CPUAffinity.current().cpus
        let own = CPUSet([cpus[0]]), other = CPUSet([cpus[1]])
        // A real chunk worker process, set up on one CPU and waiting for its first chunk.
        let setup = ChunkWorkerSetup(source: Fixtures.path("chunky.mkv"), settings: fastSettings(), cpus: "\(own)")
        let process = try ChunkWorkerProcess(executable: Binaries.av1d, setup: setup)
        defer { process.finish() }
        let list = ChunkProcessList()
        list.add(process, cpus: own)
        // It confines itself once it has read its setup.
        let settled = (0..<200).contains { _ in
            if CPUAffinity.of(thread: process.pid) == own { return true }
            usleep(10_000)
            return false
        }
        #expect(settled, "the worker process confined itself to \(own)")
        list.retire(other)
        #expect(CPUAffinity.of(thread: process.pid) == CPUSet(Set(own.cpus).union(other.cpus)))
        #expect(list.widened(own) == CPUSet(Set(own.cpus).union(other.cpus)), "a process started now gets them too")
    }

    @Test("--chunks: auto, off or a count; JSON carries the same")
    func modeParsing() throws {
        #expect(ChunkMode("auto") == .auto && ChunkMode("off") == .off && ChunkMode("3") == .workers(3))
        #expect(ChunkMode("0") == nil && ChunkMode("-2") == nil && ChunkMode("many") == nil)
        for mode in [ChunkMode.auto, .off, .workers(4)] {
            var settings = EncodeSettings()
            settings.chunks = mode
            let decoded = try JSONDecoder.av1d.decode(EncodeSettings.self, from: JSONEncoder.av1d.encode(settings))
            #expect(decoded.chunks == mode)
        }
        let text = String(decoding: try JSONEncoder.av1d.encode(fastSettings { $0.chunks = .workers(4) }), as: UTF8.self)
        #expect(text.contains("\"chunks\":4"), "\(text)")
    }

    @Test("who gets chunk workers: auto needs 30 s and two L3 caches, or one cache and a kept folder; a count slices the CPUs")
    func workerSets() throws {
        let epyc = Fixtures.root.appendingPathComponent("fixtures/sysfs/epyc-8ccd-4c/sys").path
        let all = CPUSet(0..<64)
        let domains = ChunkRule.cacheDomains(of: all, sysfsRoot: epyc)
        #expect(domains.count == 8)
        #expect(domains.first == CPUSet([0, 1, 2, 3, 32, 33, 34, 35]))
        let film = 7200.0
        for resumable in [true, false] {
            #expect(ChunkRule.workerSets(mode: .auto, cpus: all, titleSeconds: film, domains: domains, resumable: resumable) == domains)
            #expect(ChunkRule.workerSets(mode: .auto, cpus: all, titleSeconds: 20, domains: domains, resumable: resumable) == nil,
                    "a short title stays whole")
            #expect(ChunkRule.workerSets(mode: .off, cpus: all, titleSeconds: film, domains: domains, resumable: resumable) == nil)
        }
        let ryzen = CPUSet(0...3)
        #expect(ChunkRule.workerSets(mode: .auto, cpus: ryzen, titleSeconds: film, domains: [ryzen], resumable: true) == [ryzen],
                "one cache, chunks kept: one worker on all the CPUs, for the resume")
        #expect(ChunkRule.workerSets(mode: .auto, cpus: ryzen, titleSeconds: film, domains: [ryzen], resumable: false) == nil,
                "one cache, nothing to resume: one piece")
        #expect(ChunkRule.workerSets(mode: .workers(1), cpus: ryzen, titleSeconds: 10, domains: [ryzen], resumable: false) == [ryzen])
        #expect(ChunkRule.workerSets(mode: .workers(2), cpus: CPUSet(0...1), titleSeconds: 10, domains: [CPUSet(0...1)], resumable: false)
                == [CPUSet([0]), CPUSet([1])])
        #expect(ChunkRule.workerSets(mode: .workers(3), cpus: CPUSet(0...5), titleSeconds: 10, domains: [CPUSet(0...5)], resumable: false)
                == [CPUSet(0...1), CPUSet(2...3), CPUSet(4...5)])
        #expect(ChunkRule.workerSets(mode: .workers(8), cpus: CPUSet([0]), titleSeconds: 10, domains: [CPUSet([0])], resumable: false)
                == [CPUSet([0])], "never more workers than CPUs")
    }

    // MARK: - Helpers

    /// Slow enough to interrupt half-way on a loaded machine, still a few seconds in all.
    static var slowerSettings: EncodeSettings {
        fastSettings {
            $0.preset = 8
            $0.chunks = .workers(2)
        }
    }

    /// Runs a chunked encode into `folder` and stops it once half the pictures are encoded;
    /// returns how many chunks the manifest records as finished.
    static func interrupt(settings: EncodeSettings, input: String, output: String, folder: String) throws -> Int {
        let stop = StopFlag()
        let outcome = Result { () throws(EncodeError) in
            try Transcoder(settings: settings).encode(input: input, output: output, observer: { progress in
                if progress.framesEncoded * 2 >= progress.framesTotal { stop.raise() }
            }, stop: stop, chunkFolder: folder)
        }
        guard case .failure(.cancelled) = outcome else {
            Issue.record("the encode was to be interrupted: \(outcome)")
            return 0
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json"))) as? [String: Any]
        return (manifest?["finished"] as? [Any])?.count ?? 0
    }

    static func chunkCount(_ note: String) -> Int? {
        guard note.hasPrefix("encoded in "), note.contains(" chunks by ") else { return nil }
        return Int(note.dropFirst("encoded in ".count).prefix { $0.isNumber })
    }

    struct PacketTime: Equatable { var pts: String; var duration: String }

    static func packets(_ path: String, _ selector: String) throws -> [PacketTime] {
        let packets = try Probe.json(path, ["-select_streams", selector, "-show_entries", "packet=pts,duration"])["packets"] as? [[String: Any]] ?? []
        return packets.map { PacketTime(pts: "\($0["pts"] ?? "-")", duration: "\($0["duration"] ?? "-")") }
    }

    static func streamList(_ path: String) throws -> [String] {
        try Probe.streams(path).map { "\($0.codecType) \($0.codecName) \($0.tag("language") ?? "") \($0.tag("title") ?? "")" }
    }

    static func keyframeTimes(_ path: String) throws -> [String] {
        let packets = try Probe.json(path, ["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags"])["packets"] as? [[String: Any]] ?? []
        return packets.filter { ($0["flags"] as? String)?.hasPrefix("K") == true }.compactMap { $0["pts_time"] as? String }
    }

    static func manifestFrames(in folder: String) throws -> Int {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json"))) as? [String: Any]
        return ((manifest?["finished"] as? [[String: Any]]) ?? []).reduce(0) { $0 + ($1["frames"] as? Int ?? 0) }
    }
}

/// The first progress report of an encode (reports come from the chunk workers' threads).
final class FirstProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int?

    var frames: Int? { lock.withLock { first } }

    var note: ProgressObserver {
        { [self] progress in lock.withLock { if first == nil { first = progress.framesEncoded } } }
    }
}
