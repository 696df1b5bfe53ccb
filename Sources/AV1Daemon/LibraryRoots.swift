import Foundation
import LinuxSupport

/// The library roots, and whether a path lies beneath one of them. Symlinks are resolved, so a
/// folder that is a symlink to somewhere outside every root is outside, unless `follow_symlinks`.
public struct LibraryRoots: Sendable {
    public let roots: [String]
    public let followSymlinks: Bool
    /// The roots with their own symlinks resolved (a root may itself be a symlink: the user chose it).
    private let resolved: [String]

    public init(_ roots: [String], followSymlinks: Bool) {
        self.roots = roots.map(Self.standardized)
        self.followSymlinks = followSymlinks
        resolved = self.roots.map { Self.realPath($0) ?? $0 }
    }

    /// The root `path` is lexically beneath, if any.
    public func root(of path: String) -> String? {
        let path = Self.standardized(path)
        return roots.filter { Self.isBeneath(path, $0) }.max { $0.count < $1.count }
    }

    /// Whether the existing folder `folder` resolves (symlinks followed) to a place inside a root.
    public func resolvesInside(_ folder: String) -> Bool {
        guard let real = Self.realPath(folder) else { return false }
        return resolved.contains { Self.isBeneath(real, $0) }
    }

    /// Whether a file may be worked on: beneath a root by name and, unless `follow_symlinks`, by its
    /// folder's resolved place too.
    public func admits(_ path: String) -> Bool {
        guard root(of: path) != nil else { return false }
        return followSymlinks || resolvesInside(DurableFile.folder(of: Self.standardized(path)))
    }

    static func isBeneath(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    static func standardized(_ path: String) -> String {
        let standard = URL(fileURLWithPath: path).standardized.path
        return standard.count > 1 && standard.hasSuffix("/") ? String(standard.dropLast()) : standard
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
