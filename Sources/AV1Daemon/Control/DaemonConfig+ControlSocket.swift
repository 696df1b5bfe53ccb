import Foundation
import LinuxSupport

extension DaemonConfig {
    /// Where the control socket is: `control_socket`, or `av1d.sock` beside `job_state_dir`
    /// (`/var/lib/av1d/jobs` → `/var/lib/av1d/av1d.sock`). The daemon and its clients both ask here.
    public var controlSocketPath: String {
        if let controlSocket, !controlSocket.isEmpty { return controlSocket }
        return ((jobStateDir as NSString).deletingLastPathComponent as NSString).appendingPathComponent("av1d.sock")
    }
}
