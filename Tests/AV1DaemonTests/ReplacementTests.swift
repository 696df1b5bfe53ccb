import AV1Daemon
import Foundation
import LinuxSupport
import Testing
import WorkerProtocol

/// The replacement's guarantees against a world that changes under the daemon: the source must
/// still be the source, names are never shared or overwritten, the new file looks like the old
/// one, and nothing outside the library roots is touched. Real daemon processes, real encodes.
@Suite("Replacement guarantees", .serialized)
struct ReplacementTests {
    static func duration(_ path: String) -> Double {
        Double(Media.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Waits until `name`'s encode runs, then lets `change` alter the source.
    private func changeSourceMidEncode(_ change: (String) throws -> Void) throws {
        // stable_secs 3: the changed file waits a moment before it is encoded again, so its
        // bytes can be checked between the discard and the new encode.
        let daemon = try DaemonHarness(["stable_secs": "3"])
        let source = try daemon.add("bbb720-loop.mp4", as: "movie.mp4")
        let oldBytes = Int64(try FileManager.default.attributesOfItem(atPath: source)[.size] as! Int)
        try daemon.start()
        #expect(daemon.wait(poll: 0.01) {
            guard let job = daemon.records(for: "movie.mp4").last else { return false }
            return job.status == .running && (job.framesEncoded ?? 0) > 5
        }, "\(daemon.log)")
        try change(source)
        let upgraded = Media.sha(source)

        #expect(daemon.wait { daemon.records(for: "movie.mp4").contains { $0.reason?.contains("source changed during the encode") == true } },
                "\(daemon.log)")
        #expect(Media.sha(source) == upgraded, "the new file is kept byte-identical")
        #expect(!FileManager.default.fileExists(atPath: daemon.library + "/movie.mkv"), "no encode of the old content was put in place")
        let discarded = try #require(daemon.records(for: "movie.mp4").first { $0.reason?.contains("source changed") == true })
        #expect(discarded.status == .interrupted && discarded.attempt == 1, "no attempt counted: \(discarded.status)")
        #expect(!FileManager.default.fileExists(atPath: source + ".av1skip"), "no marker")
        #expect(daemon.files(in: daemon.temp).isEmpty, "the discarded output is gone")

        // The new content is encoded once it has settled.
        #expect(daemon.wait(timeout: 120) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        let records = daemon.records(for: "movie.mp4")
        #expect(!records.contains { $0.status == .success && $0.originalBytes == oldBytes }, "no Success for the old content")
        #expect(records.filter { $0.status == .success }.count == 1)
        let mkv = daemon.library + "/movie.mkv"
        #expect(Media.videoCodec(mkv) == "av1" && Media.decodesCleanly(mkv))
        #expect(abs(Self.duration(mkv) - 2.0) < 0.1, "the encode is of the new 2 s file, not the old 16 s one: \(Self.duration(mkv))")
        #expect(daemon.files() == ["movie.mkv"], "\(daemon.files())")
    }

    @Test("the source renamed over during the encode (a Sonarr upgrade): the new file is kept, then encoded")
    func sourceRenamedOver() throws {
        try changeSourceMidEncode { source in
            let download = DurableFile.folder(of: source) + "/.download.partial"
            try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "/bframes-movtext.mp4", toPath: download)
            #expect(rename(download, source) == 0)
        }
    }

    @Test("the source rewritten in place during the encode: the rewritten content is kept, then encoded")
    func sourceRewrittenInPlace() throws {
        try changeSourceMidEncode { source in
            var before = stat()
            stat(source, &before)
            let result = Media.run(["cp", DaemonHarness.fixtures + "/bframes-movtext.mp4", source])
            #expect(result.status == 0, "\(result.output)")
            var after = stat()
            stat(source, &after)
            #expect(before.st_ino == after.st_ino, "rewritten in place: the same inode")
        }
    }

    @Test("a crash after staging, then the source changes: recovery does not roll forward; the new file is kept")
    func recoveryChecksTheSource() throws {
        let daemon = try DaemonHarness(["stable_secs": "3"])
        let source = try daemon.add("bframes-movtext.mp4", as: "movie.mp4")
        try daemon.start(environment: ["AV1D_TEST_CRASH_AFTER": "staged"])
        #expect(daemon.wait { daemon.process?.isRunning == false }, "\(daemon.log)")
        #expect(daemon.records(for: "movie.mp4").last?.replaceStep == .staged)
        let download = daemon.library + "/.download.partial"
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "/multitrack.mkv", toPath: download)
        #expect(rename(download, source) == 0)
        let upgraded = Media.sha(source)

        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "movie.mp4").first?.reason?.contains("source changed") == true }, "\(daemon.log)")
        #expect(Media.sha(source) == upgraded)
        #expect(daemon.files() == ["movie.mp4"], "the staged file is gone, nothing else appeared: \(daemon.files())")
        #expect(daemon.wait(timeout: 120) { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(abs(Self.duration(daemon.library + "/movie.mkv") - 2.032) < 0.1, "the new content was encoded")
    }

    @Test("two sources with one output name: one is encoded, the other waits, then is skipped with the reason")
    func twoSourcesOneName() throws {
        let daemon = try DaemonHarness(["max_concurrent_jobs": "2"])
        try daemon.add("bframes-movtext.mp4", as: "movie.mp4")
        try daemon.add("multitrack.mkv", as: "movie.avi")
        let shas = ["movie.mp4": Media.sha(daemon.library + "/movie.mp4"), "movie.avi": Media.sha(daemon.library + "/movie.avi")]
        try daemon.start()
        #expect(daemon.wait {
            let ends = ["movie.mp4", "movie.avi"].compactMap { daemon.records(for: $0).last?.status }
            return ends.sorted { $0.rawValue < $1.rawValue } == [.skipped, .success]
        }, "\(daemon.log)")
        _ = try daemon.stop()
        let started = daemon.records.filter { $0.startedAt != nil }
        #expect(started.count == 1, "one encode, not two: \(started.map(\.sourcePath))")
        let loser = try #require(["movie.mp4", "movie.avi"].first { daemon.records(for: $0).last?.status == .skipped })
        #expect(daemon.records(for: loser).last?.reason == "movie.mkv already exists beside the original; it is never overwritten")
        #expect(Media.sha(daemon.library + "/" + loser) == shas[loser], "the other source is untouched")
        #expect(Media.videoCodec(daemon.library + "/movie.mkv") == "av1")
        #expect(!daemon.files().contains { $0.hasPrefix(".") }, "no staged file left: \(daemon.files())")
    }

    /// Reads (or with `value`, sets) an extended attribute through Python: an independent tool.
    static func xattr(_ path: String, _ name: String, set value: String? = nil) -> String {
        let code = value.map { "import os; os.setxattr('\(path)', '\(name)', b'\($0)')" }
            ?? "import os; print(os.getxattr('\(path)', '\(name)').decode(), end='')"
        return Media.run(["python3", "-c", code]).output
    }

    @Test("the new file keeps the original's owner, group, mode and xattrs under the unit's UMask 0007; temp on the library's file system or on another (tmpfs: copied and compared)",
          arguments: [false, true])
    func ownerAndMode(tempElsewhere: Bool) throws {
        let shm = "/dev/shm/av1d-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let daemon = try DaemonHarness(tempElsewhere ? ["temp_output_dir": "\"\(shm)\""] : [:])
        let source = try daemon.add("bframes-movtext.mp4", as: "movie.mp4")
        #expect(chown(source, 1000, 1000) == 0 && chmod(source, 0o644) == 0)
        #expect(Self.xattr(source, "user.av1d.test", set: "kept") == "")
        try daemon.start(umask: "0007")
        #expect(daemon.wait { daemon.records(for: "movie.mp4").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        let mkv = daemon.library + "/movie.mkv"
        var info = stat()
        #expect(stat(mkv, &info) == 0)
        #expect(info.st_uid == 1000 && info.st_gid == 1000, "owner \(info.st_uid):\(info.st_gid)")
        #expect(info.st_mode & 0o7777 == 0o644, "mode \(String(info.st_mode & 0o7777, radix: 8))")
        #expect(Self.xattr(mkv, "user.av1d.test") == "kept")
        #expect(Media.videoCodec(mkv) == "av1" && Media.decodesCleanly(mkv))
        #expect(daemon.files() == ["movie.mkv"], "\(daemon.files())")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tempElsewhere ? shm : daemon.temp)) ?? []).isEmpty)
    }

    @Test("keep_original never overwrites an earlier .av1d-original; movie.mkv → movie.mkv swaps names atomically")
    func keepOriginalTwice() throws {
        let daemon = try DaemonHarness(["keep_original": "true"])
        let source = try daemon.add("multitrack.mkv", as: "movie.mkv")
        let earlier = daemon.library + "/movie.mkv.av1d-original"
        try "an original kept by an earlier run".write(toFile: earlier, atomically: true, encoding: .utf8)
        let shas = (source: Media.sha(source), earlier: Media.sha(earlier))
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "movie.mkv").last?.status == .success }, "\(daemon.log)")
        _ = try daemon.stop()
        #expect(daemon.files() == ["movie.mkv", "movie.mkv.av1d-original", "movie.mkv.av1d-original.1"], "\(daemon.files())")
        #expect(Media.sha(earlier) == shas.earlier, "the earlier kept original is untouched")
        #expect(Media.sha(earlier + ".1") == shas.source, "this run's original is kept beside it")
        #expect(Media.videoCodec(source) == "av1" && Media.decodesCleanly(source))
    }

    @Test("a symlinked folder pointing outside the root is not entered, unless follow_symlinks = true", arguments: [false, true])
    func symlinkOutOfTheRoot(follow: Bool) throws {
        let daemon = try DaemonHarness(["follow_symlinks": "\(follow)", "schedule_order": "\"path\""])
        let outside = daemon.root + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "/multitrack.mkv", toPath: outside + "/clip.mkv")
        try FileManager.default.createSymbolicLink(atPath: daemon.library + "/linked", withDestinationPath: outside)
        try daemon.add("bframes-movtext.mp4", as: "zz-inside.mp4")
        let sha = Media.sha(outside + "/clip.mkv")
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "zz-inside.mp4").last?.status == .success }, "\(daemon.log)")
        if follow {
            #expect(daemon.wait { daemon.records(for: "linked/clip.mkv").last?.status == .success }, "\(daemon.log)")
        } else {
            Thread.sleep(forTimeInterval: 2)  // two more scan cycles
        }
        // Retry through the control socket accepts only paths inside a root.
        let client = ControlClient(path: daemon.root + "/state/av1d.sock")
        let retry = try client.send(ControlRequest(command: .retry, path: outside + "/clip.mkv"))
        #expect(!retry.ok && retry.error?.contains("not beneath a library root") == true, "\(String(describing: retry.error))")
        _ = try daemon.stop()
        if follow {
            #expect(Media.videoCodec(outside + "/clip.mkv") == "av1")
        } else {
            #expect(Media.sha(outside + "/clip.mkv") == sha, "the file outside the library is untouched")
            #expect(daemon.records(for: "linked/clip.mkv").isEmpty, "and not encoded")
        }
    }
}

@Suite("File identity")
struct FileIdentityTests {
    @Test("SHA-256 matches the FIPS 180-4 examples and sha256sum")
    func sha256() throws {
        #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let fixture = DaemonHarness.fixtures + "/multitrack.mkv"
        let bytes = try #require(FileManager.default.contents(atPath: fixture))
        // Fed in uneven pieces, across block boundaries.
        var hash = SHA256()
        var rest = bytes[...]
        while !rest.isEmpty {
            hash.update(rest.prefix(1000 + rest.count % 77))
            rest = rest.dropFirst(1000 + rest.count % 77)
        }
        #expect(hash.finalizeHex() == Media.sha(fixture))
    }

    @Test("a file renamed over, rewritten in place with the same size, or touched is no longer the same")
    func identityNotices() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a.mkv"
        try Data(repeating: 1, count: 9 << 20).write(to: URL(fileURLWithPath: path))
        let first = try FileIdentity(path: path)
        #expect(try FileIdentity(path: path) == first)
        // The same size and times, one byte changed in the last MiB: only the tail digest tells.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(9 << 20) - 10)
        try handle.write(contentsOf: Data([2]))
        try handle.close()
        var times = [timespec(tv_sec: Int(first.mtimeNs / 1_000_000_000), tv_nsec: Int(first.mtimeNs % 1_000_000_000)),
                     timespec(tv_sec: Int(first.mtimeNs / 1_000_000_000), tv_nsec: Int(first.mtimeNs % 1_000_000_000))]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let rewritten = try FileIdentity(path: path)
        #expect(rewritten.mtimeNs == first.mtimeNs && rewritten.headDigest == first.headDigest)
        #expect(rewritten.differences(from: first).contains("content differs"))
        // Renamed over by a copy of the same bytes: another inode.
        try FileManager.default.copyItem(atPath: path, toPath: folder + "/b")
        #expect(rename(folder + "/b", path) == 0)
        #expect(try FileIdentity(path: path).differences(from: rewritten).contains("another file under the same name"))
    }
}

/// The replacer on its own, for the steps a daemon cannot be stopped between.
@Suite("Replacer steps")
struct ReplacerStepTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("replacer-\(UUID())").path
    var library: String { root + "/library" }

    private func setUp(source name: String) throws -> (Replacer, JobRecord, output: String) {
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        let source = library + "/" + name
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "/bframes-movtext.mp4", toPath: source)
        let output = root + "/out.mkv.tmp"
        try FileManager.default.copyItem(atPath: DaemonHarness.fixtures + "/av1.mkv", toPath: output)
        let store = try JobStore(directory: root + "/jobs")
        let roots = LibraryRoots([library], followSymlinks: false)
        let identity = try Replacer.identity(of: source, roots: roots)
        var job = JobRecord(sourcePath: source, originalBytes: identity.size, sourceMtime: Double(identity.mtimeNs) / 1e9, attempt: 1)
        job.sourceIdentity = identity
        return (Replacer(keepOriginal: false, roots: roots, store: store), job, output)
    }

    @Test("a movie.mkv created between staging and the rename is never overwritten (RENAME_NOREPLACE)")
    func targetAppearsBeforeTheRename() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        var (replacer, job, output) = try setUp(source: "movie.mp4")
        // Where a crash after `staged` leaves things; then someone creates movie.mkv.
        let staged = library + "/.movie.mkv.\(job.id).av1d-staged"
        try FileManager.default.copyItem(atPath: output, toPath: staged)
        job.status = .replacing
        job.replaceStep = .staged
        job.stagedPath = staged
        try "someone else's movie.mkv".write(toFile: library + "/movie.mkv", atomically: false, encoding: .utf8)
        let sha = Media.sha(library + "/movie.mkv"), source = Media.sha(job.sourcePath)
        #expect {
            _ = try replacer.resume(&job)
        } throws: { error in
            guard case .targetExists = error as? ReplaceError else { return false }
            return true
        }
        #expect(Media.sha(library + "/movie.mkv") == sha && Media.sha(job.sourcePath) == source)
        #expect(!FileManager.default.fileExists(atPath: staged), "the staged file is removed")
    }

    @Test("a source in a folder that is a symlink out of the root is refused before anything is written")
    func symlinkedFolderRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        var (replacer, job, output) = try setUp(source: "movie.mp4")
        let outside = root + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: job.sourcePath, toPath: outside + "/movie.mp4")
        try FileManager.default.createSymbolicLink(atPath: library + "/linked", withDestinationPath: outside)
        job.sourcePath = library + "/linked/movie.mp4"
        let sha = Media.sha(outside + "/movie.mp4")
        #expect {
            try replacer.replace(&job, verifiedOutput: output)
        } throws: { error in
            guard case .outsideLibrary = error as? ReplaceError else { return false }
            return true
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["movie.mp4"])
        #expect(Media.sha(outside + "/movie.mp4") == sha)
    }
}
