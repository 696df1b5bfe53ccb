import ArgumentParser
import AV1Daemon
import Foundation
import WorkerProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Jobs running now (progress, fps, ETA, CPU set, memory) and totals: live from the daemon's "
            + "control socket while it runs, else from the job store.")

    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let config = try configOption.load()
        let report = try Self.report(config: config)
        if json {
            print(String(decoding: try JSONEncoder.av1dPretty.encode(report ?? StatusReport(jobs: [])), as: UTF8.self))
            return
        }
        guard let report else { return print(config.nothingRunYet) }
        if let pause = report.admissionPause { print("no new jobs (\(pause.reason)): \(pause.message)") }
        if report.running.isEmpty { print("no job running") }
        for job in report.running {
            let eta = job.eta.map { Format.seconds($0) } ?? "--"
            let fps = job.fps.map { String(format: "%.1f fps", $0) } ?? "-- fps"
            let rss = job.rssBytes.map { Format.bytes(Int64($0)) } ?? "--"
            let chunks = job.chunks.map { " chunks \($0.finished)/\($0.total) (\($0.workers.count) worker\($0.workers.count == 1 ? "" : "s"))" } ?? ""
            print("\(job.stage) \(String(format: "%5.1f%%", job.progress)) \(fps) ETA \(eta) CPUs \(job.cpus ?? "?") RSS \(rss)\(chunks)  \(job.sourcePath)")
        }
        let totals = report.totals
        let ratio = totals.averageRatio.map { String(format: "%.3f", $0) } ?? "--"
        print("done \(totals.success), failed \(totals.failed), skipped \(totals.skipped); saved \(Format.bytes(totals.bytesSaved)) (average ratio \(ratio), \(Format.seconds(totals.encodeSeconds)) encoding)")
        let error = totals.predictionMeanError.map { String(format: "%.1f%%", $0 * 100) } ?? "--"
        print("predicted: \(totals.skippedByPrediction ?? 0) skipped without a full encode, \(totals.stoppedBySizeWatch ?? 0) stopped part-way by the size watch; mean size error \(error) over \(totals.predictionsChecked ?? 0) full encodes; \(Format.seconds(totals.predictionCpuSeconds ?? 0)) CPU sampling")
    }

    /// The daemon's live numbers when it answers; the job store's otherwise; nil when nothing
    /// has run yet.
    private static func report(config: DaemonConfig) throws -> StatusReport? {
        do {
            let response = try ControlClient(path: config.controlSocketPath).send(ControlRequest(command: .status))
            if let snapshot = response.snapshot { return StatusReport(snapshot: snapshot) }
            Terminal.write("note: the daemon answered: \(response.error ?? "no snapshot"); showing the job store\n")
        } catch ControlClientError.notRunning {
            // Not running: the job store is the whole truth.
        } catch {
            Terminal.write("note: \(error); showing the job store\n")
        }
        switch try config.storedJobs() {
        case .nothingRunYet: return nil
        case .records(let jobs): return StatusReport(jobs: jobs)
        }
    }
}
