import Foundation
import LinuxSupport

/// A file as the scanner saw it: enough to notice any change without opening it.
public struct FileFacts: Sendable, Hashable, Codable {
    public var path: String
    public var size: Int64
    /// Modification time, seconds since 1970.
    public var mtime: Double

    public init(path: String, size: Int64, mtime: Double) {
        self.path = path
        self.size = size
        self.mtime = mtime
    }
}

/// Why a file is not a candidate, decided without opening it.
public enum CheapSkip: Sendable, Equatable {
    case skipMarker
    case tooSmall
    case excluded(pattern: String)

    public var reason: String {
        switch self {
        case .skipMarker: "skip marker present"
        case .tooSmall: "at or below min_bytes"
        case .excluded(let pattern): "excluded by \(pattern)"
        }
    }
}

/// Walks the library roots: video files by extension, hidden folders not entered, symlinked
/// folders followed once (loops are harmless) when they lead to a place inside a root (anywhere
/// with `follow_symlinks`), symlinked files left alone (replacing one would replace the link),
/// unreadable folders reported once.
public final class LibraryScanner {
    public static let videoExtensions: Set<String> = ["mkv", "mp4", "avi", "mov", "m4v", "ts", "m2ts"]
    public static let skipMarkerSuffix = ".av1skip"

    public struct Result {
        public var videos: [FileFacts] = []
        public var skipped: [(FileFacts, CheapSkip)] = []
        /// Folders that could not be read for the first time (reported once per daemon run).
        public var newlyUnreadable: [String] = []
        /// Every folder walked, for file-system watches.
        public var folders: [String] = []
    }

    private let minBytes: Int64
    private let exclude: [String]
    private let followSymlinks: Bool
    private var reportedUnreadable: Set<String> = []

    public init(minBytes: Int64, exclude: [String], followSymlinks: Bool = false) {
        self.minBytes = minBytes
        self.exclude = exclude
        self.followSymlinks = followSymlinks
    }

    public func scan(roots: [String]) -> Result {
        var result = Result()
        var visited: Set<FolderIdentity> = []
        let library = LibraryRoots(roots, followSymlinks: followSymlinks)
        for root in roots { walk(root, library: library, into: &result, visited: &visited) }
        return result
    }

    private struct FolderIdentity: Hashable { let device: UInt64; let inode: UInt64 }

    private func walk(_ folder: String, library: LibraryRoots, into result: inout Result, visited: inout Set<FolderIdentity>) {
        var info = stat()
        guard stat(folder, &info) == 0 else { return noteUnreadable(folder, &result) }
        guard visited.insert(FolderIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            return noteUnreadable(folder, &result)
        }
        result.folders.append(folder)
        let nameSet = Set(names)
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var entry = stat()
            guard lstat(path, &entry) == 0 else { continue }
            let type = entry.st_mode & S_IFMT
            if type == S_IFLNK {
                var target = stat()
                if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFDIR, followSymlinks || library.resolvesInside(path) {
                    walk(path, library: library, into: &result, visited: &visited)
                }
                continue
            }
            if type == S_IFDIR { walk(path, library: library, into: &result, visited: &visited); continue }
            guard type == S_IFREG, Self.isVideo(name) else { continue }
            let facts = FileFacts(path: path, size: Int64(entry.st_size),
                                  mtime: Double(entry.st_mtim.tv_sec) + Double(entry.st_mtim.tv_nsec) / 1e9)
            if let skip = cheapSkip(facts, name: name, siblings: nameSet) {
                result.skipped.append((facts, skip))
            } else {
                result.videos.append(facts)
            }
        }
    }

    private func cheapSkip(_ facts: FileFacts, name: String, siblings: Set<String>) -> CheapSkip? {
        if siblings.contains(name + Self.skipMarkerSuffix) { return .skipMarker }
        if let pattern = exclude.first(where: { fnmatch($0, facts.path, 0) == 0 || fnmatch($0, name, 0) == 0 }) {
            return .excluded(pattern: pattern)
        }
        if facts.size <= minBytes { return .tooSmall }
        return nil
    }

    private func noteUnreadable(_ folder: String, _ result: inout Result) {
        if reportedUnreadable.insert(folder).inserted { result.newlyUnreadable.append(folder) }
    }

    public static func isVideo(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return videoExtensions.contains(name[name.index(after: dot)...].lowercased())
    }
}

/// A file is a candidate only once its size and mtime have stayed the same for a window,
/// tracked across scan cycles (never a sleep per file).
public struct StabilityTracker {
    private var firstSeen: [String: (size: Int64, mtime: Double, since: Date)] = [:]
    public let window: TimeInterval

    public init(window: TimeInterval) { self.window = window }

    /// Records what a scan saw and answers whether the file is stable now. A file whose mtime
    /// is already older than the window counts as settled when first seen, so a restart does
    /// not wait a window for the whole library.
    public mutating func isStable(_ facts: FileFacts, now: Date = Date()) -> Bool {
        if let seen = firstSeen[facts.path], seen.size == facts.size, seen.mtime == facts.mtime {
            return now.timeIntervalSince(seen.since) >= window
        }
        let settled = now.timeIntervalSince1970 - facts.mtime >= window
        firstSeen[facts.path] = (facts.size, facts.mtime, settled ? now.addingTimeInterval(-window) : now)
        return settled
    }

    /// Forgets files no scan sees any more.
    public mutating func keepOnly(_ paths: Set<String>) {
        firstSeen = firstSeen.filter { paths.contains($0.key) }
    }
}

/// The skip marker `<file>.av1skip` and its optional `<file>.why.txt` sidecar.
public enum SkipMarker {
    public static func markerPath(for path: String) -> String { path + LibraryScanner.skipMarkerSuffix }
    public static func sidecarPath(for path: String) -> String { path + ".why.txt" }

    public static func write(for path: String, reason: String, sidecar: Bool) throws {
        try AtomicFile.write(Data(), to: markerPath(for: path))
        if sidecar {
            let text = "av1d skipped \((path as NSString).lastPathComponent): \(reason)\n"
            try AtomicFile.write(Data(text.utf8), to: sidecarPath(for: path))
        }
    }

    /// Removes a marker (and sidecar) so the file is considered again (`retry`).
    public static func remove(for path: String) {
        unlink(markerPath(for: path))
        unlink(sidecarPath(for: path))
    }
}
