import CLinuxShims
import Foundation

/// Ties a worker process's life to its supervisor's.
public enum ProcessLifetime {
    /// The kernel kills this process if its parent dies, so a worker never outlives a crashed
    /// daemon (and never writes into files the next daemon's recovery is cleaning up).
    public static func endWithParent(expectedParent: pid_t) {
        _ = av1d_die_with_parent()
        // The parent may have died before the request took effect.
        if getppid() != expectedParent { exit(1) }
    }
}
