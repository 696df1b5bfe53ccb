import ArgumentParser
import AV1Daemon
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Jobs running now (progress, fps, ETA, CPU set, memory) and totals, from the job store.")

    @OptionGroup var configOption: ConfigOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let config: DaemonConfig
        do { config = try DaemonConfig.load(path: configOption.config).config } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        let jobs = (try? JobStore(directory: config.jobStateDir, readOnly: true).all) ?? []
        let report = StatusReport(jobs: jobs)
        if json {
            print(String(decoding: try StatusReport.encoder.encode(report), as: UTF8.self))
            return
        }
        if report.running.isEmpty { print("no job running") }
        for job in report.running {
            let eta = job.eta.map { Format.seconds($0) } ?? "--"
            let fps = job.fps.map { String(format: "%.1f fps", $0) } ?? "-- fps"
            let rss = job.rssBytes.map { Format.bytes(Int64($0)) } ?? "--"
            print("\(job.stage) \(String(format: "%5.1f%%", job.progress)) \(fps) ETA \(eta) CPUs \(job.cpus ?? "?") RSS \(rss)  \(job.sourcePath)")
        }
        let totals = report.totals
        let ratio = totals.averageRatio.map { String(format: "%.3f", $0) } ?? "--"
        print("done \(totals.success), failed \(totals.failed), skipped \(totals.skipped); saved \(Format.bytes(totals.bytesSaved)) (average ratio \(ratio), \(Format.seconds(totals.encodeSeconds)) encoding)")
    }
}
