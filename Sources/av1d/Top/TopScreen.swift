import AV1Daemon
import Foundation
import Placement
import WorkerProtocol

/// Lays out one frame of `av1d top` for a terminal size: header, CPU per L3 domain, memory,
/// running jobs, queue, recent jobs, totals, and a status line of keys or questions.
struct TopScreen {
    let model: TopModel
    let system: SystemSample
    let topology: Topology
    let width: Int

    /// What survives in a small terminal: the higher, the longer. Running jobs matter most.
    private enum Priority {
        static let header = 100
        static let running = 90
        static let details = 90
        static let totals = 80
        static let memory = 70
        static let cpu = 60
        static let recent = 50
        static let queue = 40
    }

    func lines(rows: Int, now: Date = Date()) -> [ScreenLine] {
        var sections = [ScreenSection(priority: Priority.header, head: header(now: now))]
        sections.append(ScreenSection(priority: Priority.cpu, head: [], items: cpuLines.map { [$0] }))
        sections.append(ScreenSection(priority: Priority.memory, head: [memoryLine]))
        if model.mode == .details, let item = model.selectedItem {
            sections.append(ScreenSection(priority: Priority.details, head: details(of: item, now: now)))
        } else if let snapshot = model.snapshot {
            sections += jobSections(snapshot)
        } else {
            sections.append(ScreenSection(priority: Priority.running, head: [ScreenLine("Waiting for av1d at \(model.socketPath)…")]))
        }
        let body = ScreenSection.fit(sections, rows: rows - 1)
        // The status line stays on the bottom row.
        return body + Array(repeating: .blank, count: max(0, rows - 1 - body.count)) + [statusLine]
    }

    // MARK: - Header, machine

    private func header(now: Date) -> [ScreenLine] {
        let clock = now.formatted(Self.clock)
        var title = "av1d top"
        var machine: [ScreenLine] = []
        if let snapshot = model.snapshot {
            title += "  \(snapshot.running.count) running, \(snapshot.queued) queued"
            if let hottest = CPUTemperature.hottest(snapshot.temperatures ?? []) {
                title += ", CPU \(TemperatureReading.format(hottest.celsius))"
            }
            if snapshot.paused { title += ", paused: no new jobs" }
            if let pause = snapshot.admissionPause { machine.append(ScreenLine("no new jobs: \(pause.message)", .warning)) }
            machine += (snapshot.warnings ?? []).map { ScreenLine("warning: \($0)", .warning) }
        }
        var lines = [ScreenLine(title.spread(clock, width: width), .bold)] + machine
        if case .unreachable(let reason, let last) = model.connection {
            let stale = last.map { " (showing \($0.generatedAt.formatted(Self.clock)))" } ?? ""
            lines.append(ScreenLine("daemon not reachable: \(reason); retrying\(stale)", .warning))
        }
        return lines
    }

    /// One line per L3 domain: its CPUs, their mean use, and a bar per CPU. Blank until a second
    /// sample gives the first change in the counters.
    private var cpuLines: [ScreenLine] {
        let kind = switch topology.domainSource {
        case .l3Cache: "L3"
        case .numaNodes: "node"
        case .usableCPUs: "CPUs"
        }
        return topology.domains.enumerated().map { index, domain in
            let label = "\(kind) \(index) cpu \(domain.cpus)".padded(to: 18)
            let usage = domain.cpus.cpus.compactMap { system.cpuUsage[$0] }
            guard !usage.isEmpty else { return ScreenLine(label + "   --") }
            let mean = usage.reduce(0, +) / Double(usage.count)
            let bars = String(usage.map { Self.levels[min(Self.levels.count - 1, Int($0 * Double(Self.levels.count)))] })
            return ScreenLine(label + String(format: "%4.0f%% ", mean * 100) + bars)
        }
    }

    private static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    private var memoryLine: ScreenLine {
        var text = "Mem"
        if let total = system.memoryTotal, let available = system.memoryAvailable {
            text += " \(Format.bytes(total - available)) used of \(Format.bytes(total)), \(Format.bytes(available)) available"
        }
        if let pressure = system.memoryPressure { text += String(format: "  pressure %.2f%%", pressure) }
        return ScreenLine(text)
    }

    // MARK: - Jobs

    private func jobSections(_ snapshot: DaemonSnapshot) -> [ScreenSection] {
        let selected = model.items.firstIndex { $0.id == model.selectedID }
        let running = snapshot.running.map { job in runningLines(job, selected: job.id == model.selectedID) }
        let recent = snapshot.recent.map { job in [finishedLine(job, selected: job.id == model.selectedID)] }
        let queue = snapshot.queue.map { file in
            [ScreenLine("  " + file.path.fileName.terminalSafe.spread("\(Format.bytes(file.bytes))  saves ~\(Format.bytes(file.expectedSavingBytes)) (guess)", width: width - 2))]
        }
        return [
            ScreenSection(priority: Priority.running,
                          head: [ScreenLine(snapshot.running.isEmpty ? "Running: none" : "Running", .bold)],
                          items: running, pinned: selected.flatMap { $0 < running.count ? $0 : nil }),
            ScreenSection(priority: Priority.queue, head: [ScreenLine("Queue: \(snapshot.queued) files", .bold)], items: queue),
            ScreenSection(priority: Priority.recent, head: snapshot.recent.isEmpty ? [] : [ScreenLine("Recent", .bold)],
                          items: recent, pinned: selected.flatMap { $0 >= running.count ? $0 - running.count : nil }),
            ScreenSection(priority: Priority.totals, head: [totalsLine(snapshot.totals)]),
        ]
    }

    /// The file and its stage on one line; a progress bar and the numbers under it.
    private func runningLines(_ job: DaemonSnapshot.RunningJob, selected: Bool) -> [ScreenLine] {
        let title = (selected ? "> " : "  ") + job.sourcePath.fileName.terminalSafe
        let first = title.spread(job.stageText, width: width)
        let stats = "\(job.fpsText)  ETA \(job.etaText)  CPU \(job.cpus ?? "?")  RSS \(job.rssText)"
        let bar = Self.progressBar(job.progress / 100, width: max(10, width - stats.columns - 4))
        let style: ScreenLine.Style = selected ? .reversed : .plain
        return [ScreenLine(first, style), ScreenLine("  \(bar) \(stats)", style)]
    }

    static func progressBar(_ fraction: Double, width: Int) -> String {
        let inner = max(0, width - 2)
        let filled = Int((min(max(fraction, 0), 1) * Double(inner)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: inner - filled) + "]"
    }

    private func finishedLine(_ job: DaemonSnapshot.FinishedJob, selected: Bool) -> ScreenLine {
        let title = (selected ? "> " : "  ") + job.status.lowercased().padded(to: 8) + job.sourcePath.fileName.terminalSafe
        let detail: String
        if let newBytes = job.newBytes, job.reason == nil {
            detail = "\(Format.bytes(job.originalBytes)) → \(Format.bytes(newBytes))"
        } else {
            detail = (job.reason ?? "").terminalSafe.fitted(to: width / 2)
        }
        return ScreenLine(title.spread(detail, width: width), selected ? .reversed : .plain)
    }

    private func totalsLine(_ totals: StatusReport.Totals) -> ScreenLine {
        let ratio = totals.averageRatio.map { String(format: "%.3f", $0) } ?? "--"
        return ScreenLine("Done \(totals.success)  failed \(totals.failed)  skipped \(totals.skipped)  saved \(Format.bytes(totals.bytesSaved))"
            + "  ratio \(ratio)  \(Format.seconds(totals.encodeSeconds)) encoding")
    }

    // MARK: - Details

    private func details(of item: TopModel.Item, now: Date) -> [ScreenLine] {
        var fields: [(String, String)] = []
        switch item {
        case .running(let job):
            fields.append(("path", job.sourcePath))
            fields.append(("job", job.id))
            var stage = job.stageText
            if let done = job.framesEncoded { stage += "  frames \(done)" + (job.framesTotal.map { " / \($0)" } ?? "") }
            fields.append(("stage", stage))
            fields.append(("speed", "\(job.fpsText)  ETA \(job.etaText)"))
            fields.append(("CPUs", "\(job.cpus ?? "?") (\(job.cpuCount))"))
            fields.append(("memory", "RSS \(job.rssText)"))
            if let encoded = job.encodedBytes { fields.append(("output", Format.bytes(encoded) + " so far")) }
            if let chunks = job.chunks {
                fields.append(("chunks", "\(chunks.finished) of \(chunks.total) done, \(chunks.workers.count) workers"))
                for (number, worker) in chunks.workers.enumerated() {
                    let doing = worker.chunk.map { "chunk \($0 + 1)" } ?? "idle"
                    fields.append(("worker \(number + 1)", "\(doing) on CPUs \(worker.cpus)" + (worker.pid.map { " (pid \($0))" } ?? "")))
                }
            }
            if let started = job.startedAt {
                fields.append(("started", started.formatted(Self.timestamp) + ", " + Format.seconds(now.timeIntervalSince(started)) + " ago"))
            }
        case .finished(let job):
            fields.append(("path", job.sourcePath))
            fields.append(("job", job.id))
            fields.append(("status", job.status.lowercased()))
            if let reason = job.reason { fields.append(("reason", reason)) }
            var size = Format.bytes(job.originalBytes)
            if let newBytes = job.newBytes, job.originalBytes > 0 {
                size += " → \(Format.bytes(newBytes)) (ratio \(String(format: "%.3f", Double(newBytes) / Double(job.originalBytes))))"
            }
            fields.append(("size", size))
            if let finished = job.finishedAt { fields.append(("finished", finished.formatted(Self.timestamp))) }
        }
        let title = ScreenLine(item.fileName.terminalSafe, .bold)
        return [title] + fields.flatMap { name, value in
            Self.wrapped(value.terminalSafe, width: width - 12).enumerated().map { index, part in
                ScreenLine((index == 0 ? "  " + name.padded(to: 10) : String(repeating: " ", count: 12)) + part)
            }
        }
    }

    /// `text` in pieces of at most `width` columns.
    private static func wrapped(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [text] }
        var pieces = [""]
        for character in text {
            if pieces[pieces.count - 1].columns + character.columns > width { pieces.append("") }
            pieces[pieces.count - 1].append(character)
        }
        return pieces
    }

    // MARK: - Status line

    private var statusLine: ScreenLine {
        if case .confirmCancel(_, let name) = model.mode { return ScreenLine("Cancel \(name.terminalSafe)? y/n", .warning) }
        if let notice = model.notice { return ScreenLine(notice.text.terminalSafe, .reversed) }
        switch model.mode {
        case .details: return ScreenLine("enter/esc back  q quit", .dim)
        case .overview, .confirmCancel:
            let pause = model.snapshot?.paused == true ? "p resume" : "p pause"
            let help = "↑↓/jk select  enter details  c cancel  r retry  \(pause)  q quit"
            return ScreenLine(help.columns <= width ? help : "keys: ↑↓ enter c r p q", .dim)
        }
    }

    private static let clock = Date.ISO8601FormatStyle(timeZone: .current).time(includingFractionalSeconds: false)
    private static let timestamp = Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: .current)
        .year().month().day().time(includingFractionalSeconds: false)
}

private extension DaemonSnapshot.RunningJob {
    var stageText: String { stage + String(format: " %5.1f%%", progress) }
    var fpsText: String { fps.map { String(format: "%.1f fps", $0) } ?? "-- fps" }
    var etaText: String { eta.map(Format.seconds) ?? "--" }
    var rssText: String { rssBytes.map { Format.bytes(Int64($0)) } ?? "--" }
}
