import Foundation

/// File-system events between scan cycles (inotify): a new or finished file triggers a scan a
/// moment later instead of at the next interval. Scans stay the source of truth; events only
/// bring them forward, so a lost event (or no inotify at all) costs only latency.
final class LibraryWatcher {
    private let descriptor: Int32
    private var watches: [String: Int32] = [:]
    private var source: DispatchSourceRead?
    private var limitReported = false
    private let log: DaemonLog

    /// Nil when inotify is unavailable; the daemon then relies on its scan interval.
    init?(queue: DispatchQueue, log: DaemonLog, onChange: @escaping () -> Void) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.log = log
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setEventHandler { [descriptor] in
            // The events themselves do not matter, only that something changed: drain and rescan.
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while read(descriptor, &buffer, buffer.count) > 0 {}
            onChange()
        }
        source.resume()
        self.source = source
    }

    /// Watches every folder the last scan walked (new ones are added, gone ones dropped).
    func watch(_ folders: [String]) {
        let wanted = Set(folders)
        for (folder, watch) in watches where !wanted.contains(folder) {
            inotify_rm_watch(descriptor, watch)
            watches[folder] = nil
        }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
        for folder in wanted where watches[folder] == nil {
            let watch = inotify_add_watch(descriptor, folder, mask)
            if watch >= 0 {
                watches[folder] = watch
            } else if errno == ENOSPC && !limitReported {
                limitReported = true
                log(.warning, "inotify watch limit reached (fs.inotify.max_user_watches); other folders are seen at each scan")
            }
        }
    }

    deinit {
        source?.cancel()
        close(descriptor)
    }
}
