import AV1Daemon
import Foundation
import Testing

/// The daemon never replaces a title with less of it: a source that cannot be read to its
/// declared end fails its job with the reason, and the original stays byte for byte.
@Suite("Daemon: verification against the source", .serialized)
struct SourceVerificationDaemonTests {
    @Test("a read error mid-file and a truncated file: Failed with the reason, originals byte-identical, no Success")
    func incompleteSources() throws {
        let daemon = try DaemonHarness(["max_attempts": "1", "schedule_order": "\"path\""])
        let flaky = try daemon.add("multitrack.mkv", as: "flaky.mkv")
        let cut = try daemon.add("cut-short.mp4")
        try daemon.add("hdr10.mkv")
        let before = [flaky: Media.sha(flaky), cut: Media.sha(cut)]

        try daemon.start(environment: ReadFault.environment(failing: flaky, after: 0.75))
        #expect(daemon.wait {
            daemon.records(for: "flaky.mkv").last?.status == .failed && daemon.records(for: "cut-short.mp4").last?.status == .failed
                && daemon.records(for: "hdr10.mkv").last?.status == .success
        }, "\(daemon.log)")
        #expect(try daemon.stop().status == 0)

        let readError = daemon.records(for: "flaky.mkv").last?.reason ?? ""
        #expect(readError.contains(try Regex("^read error at [0-9]+% \\(Input/output error\\)$")), "reason: \(readError)")
        let truncated = daemon.records(for: "cut-short.mp4").last?.reason ?? ""
        #expect(truncated == "source is truncated: 3.9 s of 10.0 s decodable", "reason: \(truncated)")
        for name in ["flaky.mkv", "cut-short.mp4"] {
            #expect(!daemon.records(for: name).contains { $0.status == .success }, "\(name) has no Success")
        }
        for (path, sha) in before { #expect(Media.sha(path) == sha, "\(path) changed") }
        #expect(!daemon.files().contains("cut-short.mkv"), "no replacement beside the original")
        #expect(Media.videoCodec(daemon.library + "/hdr10.mkv").hasPrefix("av1"), "the good file next to them was replaced")
    }

    @Test("a read error in a title the daemon chunks: Failed with the errno, original byte-identical, no Success, no chunks left")
    func incompleteChunkedSource() throws {
        let daemon = try DaemonHarness(["max_attempts": "1", "chunked": "2", "predict": "false"])
        let flaky = try daemon.add("chunky.mkv", as: "flaky.mkv")
        let before = Media.sha(flaky)
        // The fault shim is inherited by the worker and its chunk worker processes. Reads fail once
        // 75% of the file's bytes were read by a process: here the worker's source identity (which
        // digests both ends) reads past that first, before any chunk is cut.
        try daemon.start(environment: ReadFault.environment(failing: flaky, after: 0.75))
        #expect(daemon.wait { daemon.records(for: "flaky.mkv").last?.status == .failed }, "\(daemon.log)")
        #expect(try daemon.stop().status == 0)
        let job = try #require(daemon.records(for: "flaky.mkv").last)
        #expect((job.reason ?? "").contains("Input/output error"), "reason: \(job.reason ?? "")")
        #expect(!daemon.records(for: "flaky.mkv").contains { $0.status == .success })
        #expect(Media.sha(flaky) == before, "the original is byte-identical")
        #expect(daemon.files(in: daemon.temp).isEmpty, "no chunks or partial output left: \(daemon.files(in: daemon.temp))")
    }
}
