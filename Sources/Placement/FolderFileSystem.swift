import Foundation
import LinuxSupport

/// Network file systems under a folder, found with `statfs` on this machine, or from the mount
/// table (`proc/self/mounts`) of a copied tree. The tuning guide: a `temp_output_dir` on NFS/SMB
/// is "not recommended: network latency will bottleneck encoding".
public enum FolderFileSystem {
    /// "NFS", "SMB/CIFS", "FUSE" or "9p" when `path` (or its nearest existing ancestor) is on a
    /// network file system; nil for local ones or when it cannot be told.
    public static func network(of path: String, sysfsRoot: String = "/") -> String? {
        let tree = SysfsTree(root: sysfsRoot)
        return tree.isLiveMachine ? statfsKind(existingAncestor(of: path)) : mountTableKind(of: path, tree)
    }

    /// The `f_type` magic numbers of linux/magic.h.
    private static let magic: [UInt32: String] = [
        0x6969: "NFS", 0x517B: "SMB/CIFS", 0xFF53_4D42: "SMB/CIFS", 0xFE53_4D42: "SMB/CIFS",
        0x6573_5546: "FUSE", 0x0102_1997: "9p",
    ]

    private static func statfsKind(_ path: String) -> String? {
        fileSystemMagic(of: path).flatMap { magic[$0] }
    }

    private static func mountTableKind(of path: String, _ tree: SysfsTree) -> String? {
        let mounts = (tree.text("proc/self/mounts") ?? "").split(separator: "\n").compactMap { line -> (point: String, type: String)? in
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { return nil }
            return (String(fields[1]).replacingOccurrences(of: "\\040", with: " "), String(fields[2]))
        }
        let holder = mounts.filter { contains($0.point, path) }.max { $0.point.count < $1.point.count }
        return holder.flatMap { kind(ofType: $0.type) }
    }

    /// The family of a mount table's type name: nfs/nfs4, cifs/smb3/smbfs, fuse.sshfs, 9p.
    static func kind(ofType type: String) -> String? {
        if type.hasPrefix("nfs") { return "NFS" }
        if ["cifs", "smb3", "smbfs"].contains(type) { return "SMB/CIFS" }
        if type == "fuse" || type.hasPrefix("fuse.") { return "FUSE" }
        if type == "9p" { return "9p" }
        return nil
    }

    private static func contains(_ mountPoint: String, _ path: String) -> Bool {
        mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
    }

    private static func existingAncestor(of path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" { url.deleteLastPathComponent() }
        return url.path
    }

    /// The guide's warning for a folder on a network file system, or nil.
    public static func warning(key: String, path: String, sysfsRoot: String = "/") -> String? {
        network(of: path, sysfsRoot: sysfsRoot).map { kind in
            "\(key) \(path) is on \(kind): not recommended, network latency will bottleneck encoding; "
                + "use a local disk for it"
        }
    }
}
