import Foundation

/// Ties a worker process's life to its supervisor's.
public enum ProcessLifetime {
    /// Ends this process soon after its parent is gone (it is then re-parented), so a worker
    /// never outlives a crashed daemon. Polling, not PR_SET_PDEATHSIG: that signal follows the
    /// parent *thread* that spawned us, and the daemon spawns from short-lived pool threads.
    public static func endWithParent(expectedParent: pid_t) {
        Thread.detachNewThread {
            while getppid() == expectedParent { usleep(100_000) }
            _exit(1)
        }
    }
}
