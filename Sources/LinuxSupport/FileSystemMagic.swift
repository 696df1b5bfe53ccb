import CLinuxShims

/// The file system a path lives on, as `statfs` names it: the `f_type` magic number of
/// linux/magic.h (0x6969 is NFS). Nil when `statfs` fails (the path does not exist).
public func fileSystemMagic(of path: String) -> UInt32? {
    let magic = av1d_filesystem_magic(path)
    return magic < 0 ? nil : UInt32(truncatingIfNeeded: magic)
}
