import CLinuxShims
import Glibc

/// The process's Linux capabilities.
public enum Capabilities {
    /// Gives up every capability, ambient ones included, for this thread and the threads and
    /// programs it starts afterwards. Root keeps its own: a daemon run as root (in a container,
    /// say) relies on reading files of any owner, and dropping that would fail jobs, not harden them.
    public static func dropUnlessRoot() throws(SystemError) {
        guard getuid() != 0 else { return }
        if av1d_drop_capabilities() != 0 { throw SystemError("giving up capabilities") }
    }
}
