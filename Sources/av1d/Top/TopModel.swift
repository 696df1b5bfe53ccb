import AV1Daemon
import Foundation
import WorkerProtocol

/// What `av1d top` knows and where the user is: the daemon's latest snapshot, the selected job,
/// and whether a details panel or a question is open. Keys change it; the screen shows it.
struct TopModel {
    enum Connection {
        case connecting
        case connected(DaemonSnapshot)
        /// The daemon stopped answering; the last snapshot stays visible, marked stale.
        case unreachable(reason: String, last: DaemonSnapshot?)
    }

    enum Mode: Equatable {
        case overview
        case details
        case confirmCancel(jobID: String, name: String)
    }

    /// A job the cursor can rest on: running now, or recently finished.
    enum Item {
        case running(DaemonSnapshot.RunningJob)
        case finished(DaemonSnapshot.FinishedJob)

        var id: String {
            switch self {
            case .running(let job): job.id
            case .finished(let job): job.id
            }
        }

        var fileName: String {
            switch self {
            case .running(let job): job.sourcePath.fileName
            case .finished(let job): job.sourcePath.fileName
            }
        }
    }

    /// What a key asks of the program.
    enum Action: Equatable {
        case none
        case quit
        case send(ControlRequest)
    }

    let socketPath: String
    private(set) var connection = Connection.connecting
    private(set) var mode = Mode.overview
    /// The selected job, by id so that it stays selected while the lists change.
    private(set) var selectedID: String?
    private var selectedIndex = 0
    /// A short note for the status line (an action's result, a hint), until it expires.
    private(set) var notice: (text: String, until: Date)?

    init(socketPath: String) {
        self.socketPath = socketPath
    }

    var snapshot: DaemonSnapshot? {
        switch connection {
        case .connecting: nil
        case .connected(let snapshot): snapshot
        case .unreachable(_, let last): last
        }
    }

    var items: [Item] {
        guard let snapshot else { return [] }
        return snapshot.running.map(Item.running) + snapshot.recent.map(Item.finished)
    }

    var selectedItem: Item? {
        items.first { $0.id == selectedID }
    }

    mutating func update(_ connection: Connection) {
        self.connection = connection
        let items = items
        if let index = items.firstIndex(where: { $0.id == selectedID }) {
            selectedIndex = index
        } else {
            // The selected job left the lists: keep the cursor where it was.
            selectedIndex = min(selectedIndex, max(items.count - 1, 0))
            selectedID = items.isEmpty ? nil : items[selectedIndex].id
        }
        if mode == .details, selectedItem == nil { mode = .overview }
    }

    /// Shows `text` on the status line for a few seconds.
    mutating func show(_ text: String) {
        notice = (text, Date().addingTimeInterval(4))
    }

    mutating func expireNotice(now: Date = Date()) {
        if let notice, notice.until <= now { self.notice = nil }
    }

    mutating func handle(_ key: Key) -> Action {
        if key == .interrupt || key == .character("q") { return .quit }
        switch mode {
        case .confirmCancel(let jobID, let name):
            mode = .overview
            guard key == .character("y") || key == .character("Y") else {
                show("\(name) keeps running")
                return .none
            }
            return .send(ControlRequest(command: .cancel, job: jobID))
        case .details:
            if [.enter, .escape, .backspace].contains(key) { mode = .overview }
            return .none
        case .overview:
            return handleOverview(key)
        }
    }

    private mutating func handleOverview(_ key: Key) -> Action {
        switch key {
        case .up, .character("k"): moveSelection(by: -1)
        case .down, .character("j"): moveSelection(by: 1)
        case .enter:
            if selectedItem != nil { mode = .details }
        case .character("c"):
            guard case .running(let job)? = selectedItem else {
                show("c cancels a running job: select one first")
                return .none
            }
            mode = .confirmCancel(jobID: job.id, name: job.sourcePath.fileName)
        case .character("r"):
            guard case .finished(let job)? = selectedItem, job.isRetryable else {
                show("r retries a failed or skipped file: select one under Recent")
                return .none
            }
            return .send(ControlRequest(command: .retry, path: job.sourcePath))
        case .character("p"):
            guard let snapshot else { return .none }
            return .send(ControlRequest(command: snapshot.paused ? .resume : .pause))
        default:
            break
        }
        return .none
    }

    private mutating func moveSelection(by offset: Int) {
        let items = items
        guard !items.isEmpty else { return }
        selectedIndex = min(max(selectedIndex + offset, 0), items.count - 1)
        selectedID = items[selectedIndex].id
    }
}

extension DaemonSnapshot.FinishedJob {
    /// Failed and skipped files can be tried again.
    var isRetryable: Bool { ["failed", "skipped"].contains(status.lowercased()) }
}

extension String {
    /// The last path component: what the screen calls a file.
    var fileName: String { (self as NSString).lastPathComponent }
}
