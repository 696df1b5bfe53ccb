import Foundation
import LinuxSupport

/// Stops admission while a folder the daemon writes into cannot take its files: the temp folder
/// or the job folder missing, not a folder, read-only, unwritable or full. These are faults of the
/// machine, not of the file being encoded: no attempt is counted and no skip marker is written.
/// The gate is re-checked every few seconds and opens by itself when the folders are usable again.
struct StorageGate: Sendable, Equatable {
    /// A folder the daemon writes into, by its config key.
    struct Folder: Sendable, Equatable {
        let key: String
        let path: String
    }

    /// What closed the gate: a folder, what failed there, and for a full temp folder the free
    /// space the failed encode is estimated to have needed (the gate stays closed until it is there).
    struct Fault: Sendable, Equatable {
        let folder: Folder
        let problem: String
        var neededBytes: Int64?
    }

    enum Change: Equatable {
        case paused(Fault)
        case resumed
    }

    /// How often the folders are checked, whether the gate is open or closed.
    static let recheckInterval: TimeInterval = 3

    private(set) var fault: Fault?

    var isClosed: Bool { fault != nil }

    /// Why no job starts, for status, top and the journal.
    var reason: String? {
        fault.map { fault in
            let need = fault.neededBytes.map { "; waiting for \(Supervisor.megabytes($0)) free" } ?? ""
            return "\(fault.folder.key) \(fault.folder.path) cannot take files (\(fault.problem))\(need): no new job starts until it can"
        }
    }

    /// Checks each folder; returns a change only when the gate closes or opens (log once per episode).
    mutating func update(_ folders: [Folder], freeBytes: (String) -> Int64? = { StorageGate.space($0)?.free }) -> Change? {
        // The folder that closed the gate is watched too (a library folder that was full).
        let folders = folders + [fault?.folder].compactMap { $0 }.filter { !folders.contains($0) }
        let found = folders.lazy.compactMap { folder in FolderCheck.problem(with: folder.path).map { Fault(folder: folder, problem: "\($0)") } }.first
        if let found {
            let wasOpen = fault == nil
            fault = Fault(folder: found.folder, problem: found.problem,
                          neededBytes: fault?.folder == found.folder ? fault?.neededBytes : nil)
            return wasOpen ? .paused(fault!) : nil
        }
        if let current = fault, let needed = current.neededBytes, let free = freeBytes(current.folder.path), free < needed {
            return nil
        }
        guard fault != nil else { return nil }
        fault = nil
        return .resumed
    }

    /// A write in `folder` failed for a reason of the machine (from a worker or the job store).
    /// `neededBytes` is how much free space to wait for when the folder was full.
    mutating func report(_ folder: Folder, problem: String, neededBytes: Int64? = nil) -> Change? {
        let wasOpen = fault == nil
        fault = Fault(folder: folder, problem: problem, neededBytes: neededBytes ?? (fault?.folder == folder ? fault?.neededBytes : nil))
        return wasOpen ? .paused(fault!) : nil
    }

    /// The file system holding `path`: bytes an unprivileged writer may still use, and its size.
    static func space(_ path: String) -> (free: Int64, capacity: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), Int64(info.f_blocks) * Int64(info.f_frsize))
    }
}
