import AV1Daemon
import Foundation
import Testing

/// A throwaway folder tree.
final class TreeFolder {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-tree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    @discardableResult
    func file(_ relative: String, bytes: Int = 100, age: TimeInterval = 3600) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(count: bytes))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
        return path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("Scanner and gates")
struct ScannerTests {
    @Test("video files by extension; hidden folders, markers, small and excluded files gated without opening")
    func gates() throws {
        let tree = try TreeFolder()
        try tree.file("a/movie.MKV", bytes: 500)
        try tree.file("a/clip.mp4", bytes: 500)
        try tree.file("a/clip.mp4.av1skip", bytes: 0)
        try tree.file("a/notes.txt", bytes: 500)
        try tree.file("a/small.avi", bytes: 50)
        try tree.file(".hidden/secret.mkv", bytes: 500)
        try tree.file("Extras/bonus.m2ts", bytes: 500)
        try tree.file("b/show.ts", bytes: 500)
        try tree.file("b/.movie.mkv.av1d-staged", bytes: 500)
        let result = LibraryScanner(minBytes: 100, exclude: ["*/Extras/*"]).scan(roots: [tree.root])
        #expect(result.videos.map { ($0.path as NSString).lastPathComponent }.sorted() == ["movie.MKV", "show.ts"])
        let skipped = Dictionary(uniqueKeysWithValues: result.skipped.map { (($0.0.path as NSString).lastPathComponent, $0.1) })
        #expect(skipped["clip.mp4"] == .skipMarker)
        #expect(skipped["small.avi"] == .tooSmall)
        #expect(skipped["bonus.m2ts"] == .excluded(pattern: "*/Extras/*"))
        #expect(skipped["secret.mkv"] == nil)
    }

    @Test("symlink loops are harmless and unreadable folders are reported once")
    func loopsAndUnreadable() throws {
        let tree = try TreeFolder()
        try tree.file("a/movie.mkv", bytes: 500)
        try FileManager.default.createSymbolicLink(atPath: tree.root + "/a/loop", withDestinationPath: tree.root)
        try FileManager.default.createSymbolicLink(atPath: tree.root + "/link.mkv", withDestinationPath: tree.root + "/a/movie.mkv")
        try FileManager.default.createDirectory(atPath: tree.root + "/locked", withIntermediateDirectories: true)
        chmod(tree.root + "/locked", 0)
        defer { chmod(tree.root + "/locked", 0o755) }
        let scanner = LibraryScanner(minBytes: 0, exclude: [])
        let first = scanner.scan(roots: [tree.root])
        #expect(first.videos.map(\.path) == [tree.root + "/a/movie.mkv"], "each file once; symlinked files left alone")
        // Root can read anything; the report only applies where permissions bite.
        if getuid() != 0 { #expect(first.newlyUnreadable == [tree.root + "/locked"]) }
        #expect(scanner.scan(roots: [tree.root]).newlyUnreadable.isEmpty)
        #expect(scanner.scan(roots: [tree.root + "/missing"]).newlyUnreadable == [tree.root + "/missing"])
    }

    @Test("a 20,000-file library re-scans well under a second")
    func rescanSpeed() throws {
        let tree = try TreeFolder()
        for folder in 0..<100 {
            try FileManager.default.createDirectory(atPath: "\(tree.root)/\(folder)", withIntermediateDirectories: true)
            for file in 0..<200 { _ = FileManager.default.createFile(atPath: "\(tree.root)/\(folder)/f\(file).mkv", contents: nil) }
        }
        let scanner = LibraryScanner(minBytes: 0, exclude: [])
        #expect(scanner.scan(roots: [tree.root]).skipped.count == 20_000)
        let start = Date()
        _ = scanner.scan(roots: [tree.root])
        let seconds = Date().timeIntervalSince(start)
        // Not a benchmark: a generous bound that only an accidental per-file open or probe would break.
        #expect(seconds < 5, "re-scan took \(seconds) s")
    }

    @Test("stability: a file is a candidate only after staying unchanged for the window")
    func stability() {
        var tracker = StabilityTracker(window: 60)
        let now = Date()
        let fresh = FileFacts(path: "/m/new.mkv", size: 10, mtime: now.timeIntervalSince1970 - 5)
        var grown = fresh
        grown.size = 20
        grown.mtime = now.timeIntervalSince1970 + 61  // writing a file moves its mtime
        let old = FileFacts(path: "/m/old.mkv", size: 10, mtime: now.timeIntervalSince1970 - 3600)
        let answers = [
            tracker.isStable(fresh, now: now),
            tracker.isStable(fresh, now: now.addingTimeInterval(30)),
            tracker.isStable(fresh, now: now.addingTimeInterval(61)),
            tracker.isStable(grown, now: now.addingTimeInterval(62)),  // a change restarts the window
            tracker.isStable(old, now: now),  // settled long ago: no wait after a restart
        ]
        #expect(answers == [false, false, true, false, true])
    }
}
