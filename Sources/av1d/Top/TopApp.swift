import AV1Daemon
import Foundation
import WorkerProtocol

/// `av1d top`: asks the daemon for a snapshot every second, samples the machine, draws the
/// frame, and turns keys into control requests. Keeps retrying while the daemon is away.
struct TopApp {
    let client: ControlClient

    func run() throws {
        guard TerminalSession.isTerminal else { throw TerminalError("av1d top needs a terminal") }
        try TerminalSession.begin()
        defer { TerminalSession.end() }
        var model = TopModel(socketPath: client.path)
        var sampler = try SystemSampler()
        var frame = FrameWriter()
        var system = SystemSample()
        var nextRefresh = Date()
        while true {
            if Date() >= nextRefresh {
                model.update(fetch(keeping: model.snapshot))
                system = sampler.sample()
                nextRefresh = Date().addingTimeInterval(1)
            }
            model.expireNotice()
            let size = TerminalSession.size
            let screen = TopScreen(model: model, system: system, topology: sampler.topology, width: size.columns)
            frame.draw(screen.lines(rows: size.rows), size: size)
            // Wake at least four times a second, so a resized terminal is redrawn promptly.
            guard let keys = KeyInput.read(until: min(nextRefresh, Date().addingTimeInterval(0.25))) else { return }
            for key in keys {
                switch model.handle(key) {
                case .none: break
                case .quit: return
                case .send(let request):
                    perform(request, on: &model)
                    nextRefresh = Date()
                }
            }
        }
    }

    private func fetch(keeping last: DaemonSnapshot?) -> TopModel.Connection {
        do {
            let response = try client.send(ControlRequest(command: .status))
            guard let snapshot = response.snapshot else {
                return .unreachable(reason: response.error ?? "the daemon sent no snapshot", last: last)
            }
            return .connected(snapshot)
        } catch {
            return .unreachable(reason: "\(error)", last: last)
        }
    }

    private func perform(_ request: ControlRequest, on model: inout TopModel) {
        do {
            let response = try client.send(request)
            if response.ok {
                model.show(response.message ?? "\(request.command.rawValue): done")
            } else {
                model.show("\(request.command.rawValue) failed: \(response.error ?? "no reason given")")
            }
        } catch {
            model.show("\(request.command.rawValue) failed: \(error)")
        }
    }
}
