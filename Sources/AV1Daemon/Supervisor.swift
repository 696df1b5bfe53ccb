import Foundation
import NativeEncode
import Placement
import LinuxSupport
import WorkerProtocol

/// The daemon: scans, gates, schedules jobs onto worker processes, verifies, replaces, records.
/// All its state lives on one serial queue; workers, timers and signals post events to it.
public final class Supervisor: @unchecked Sendable {
    public let queue = DispatchQueue(label: "av1d.supervisor")
    let configPath: String
    var config: DaemonConfig
    let store: JobStore
    let log: DaemonLog
    let notifier: SystemdNotifier
    /// The av1d binary itself: workers are the same program.
    let executable: String
    var scanner: LibraryScanner
    var stability: StabilityTracker
    var placer: JobPlacer
    /// Past prediction errors: the prediction gate's margin.
    var predictions: PredictionHistory
    /// The machine as read at start-up (`sysfsRoot` is "/" but for tests).
    let topology: Topology
    let sysfsRoot: String

    /// Probe verdicts by file state: an unchanged file is never probed twice.
    var probed: [FileFacts: ProbeOutcome] = [:]
    var probing: [String: WorkerProcess] = [:]
    var candidates: [String: Candidate] = [:]
    var running: [String: RunningJob] = [:]
    /// Source paths whose verified output is being put in place (off the queue). A shutdown does
    /// not wait for them: the job record lets start-up recovery finish or undo the replacement.
    var replacing: Set<String> = []
    var acceptingWork = true
    /// Paused through the control socket: running jobs go on, no new one starts.
    var paused = false
    /// Stops admission while the CPU is too hot (`thermal_limit_c`).
    var thermal: ThermalGate
    /// Stops admission while the temp or job folder cannot take files (missing, read-only, full).
    var storage = StorageGate()
    /// CPU sensors as last read, each second.
    var temperatures: [TemperatureReading] = []
    /// What start-up (or the last reload) found wrong with the machine: governors, network folders.
    var machineWarnings: [String] = []
    /// Stable files not yet probed because the probes were busy: jobs soon, for placement.
    var awaitingProbe = 0
    /// Why the next job waits for memory, logged once per change.
    var waitingFor: String?
    /// Files waiting because another job in flight makes their output name, logged once.
    var waitingForName: [String: String] = [:]
    /// Files whose last run was stopped for memory: they run only with nothing beside them.
    var runAlone: Set<String> = []
    /// Work done since start, for the metrics counters.
    var counters = (frames: 0, bytes: Int64(0))
    var shuttingDown = false
    private var timers: [DispatchSourceTimer] = []
    var watcher: LibraryWatcher?
    private var endpoints = Endpoints()
    var webhook: Webhook? { endpoints.webhook }
    /// A scan brought forward by a file-system event, not yet run.
    var eventScanPending = false
    /// Library walks run here, never on `queue`: a slow network folder must not hold up the daemon.
    let scanQueue = DispatchQueue(label: "av1d.scan")
    /// A walk is under way on `scanQueue`; another was asked for meanwhile.
    var scanning = false
    var scanAgain = false
    /// What `status`, `top` and metrics read: published by the queue, served without waiting for it.
    let board = SnapshotBoard()
    private var signalSources: [DispatchSourceSignal] = []
    private let stopped = DispatchSemaphore(value: 0)
    let crashAfter: ReplaceStep?

    /// Throws when the machine under `sysfsRoot` shows no usable CPU: nothing could ever run.
    public init(configPath: String, config: DaemonConfig, log: DaemonLog = DaemonLog(), executable: String,
                sysfsRoot: String = "/", environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configPath = configPath
        self.config = config
        self.log = log
        self.executable = executable
        notifier = SystemdNotifier(environment: environment)
        try FileManager.default.createDirectory(atPath: config.tempOutputDir, withIntermediateDirectories: true)
        store = try JobStore(directory: config.jobStateDir)
        scanner = LibraryScanner(minBytes: config.minBytes, exclude: config.exclude, followSymlinks: config.followSymlinks)
        stability = StabilityTracker(window: TimeInterval(config.stableSecs))
        self.sysfsRoot = sysfsRoot
        topology = try Topology.read(sysfsRoot: sysfsRoot)
        placer = JobPlacer(config: config, topology: topology, sysfsRoot: sysfsRoot)
        predictions = PredictionHistory(stateDirectory: (config.jobStateDir as NSString).deletingLastPathComponent)
        thermal = ThermalGate(limit: config.thermalLimitC)
        #if DEBUG
        // Test builds only: a release daemon must never SIGKILL itself because of its environment.
        crashAfter = environment["AV1D_TEST_CRASH_AFTER"].flatMap(ReplaceStep.init(rawValue:))
        #else
        crashAfter = nil
        #endif
    }

    var replacer: Replacer { Replacer(keepOriginal: config.keepOriginal, roots: config.roots, store: store, crashAfter: crashAfter) }

    /// Recovers, announces readiness, then runs until SIGTERM/SIGINT. Returns the exit status.
    public func run() -> Int32 {
        queue.sync {
            // Signals first: a SIGTERM during recovery is handled right after it, never lost
            // (between SIG_IGN and a resumed source it would be).
            installSignals()
            Recovery(store: store, replacer: replacer, tempDirectory: config.tempOutputDir,
                     failedRetentionDays: config.failedOutputRetentionDays, log: log).run()
            store.onWriteFailure = { [unowned self] record, error in
                queue.async { [unowned self] in jobRecordNotWritten(record, error: error) }
            }
            endpoints.start(config: config, control: self, log: log)
            watcher = LibraryWatcher(queue: queue, log: log) { [unowned self] in scanSoon() }
            checkMachine()
            log(.info, "started: roots \(config.libraryRoots.joined(separator: ", ")), \(config.maxConcurrentJobs) concurrent jobs on CPU sets \(placer.planDescription)")
            notifier.send("READY=1")
            startTimer(every: TimeInterval(config.scanIntervalSecs)) { [unowned self] in scanCycle() }
            startTimer(every: 1) { [unowned self] in
                watchTemperature()
                watchWorkers()
            }
            startTimer(every: StorageGate.recheckInterval) { [unowned self] in watchStorage() }
            startTimer(every: Self.publishInterval) { [unowned self] in publishSnapshot() }
            startTimer(every: Self.pruneInterval) { [unowned self] in pruneFailedOutputs() }
            // The timer runs on the supervisor's queue: the watchdog is fed only while that queue
            // makes progress, so a supervisor that hangs is restarted by systemd.
            if let interval = notifier.watchdogInterval {
                startTimer(every: interval) { [unowned self] in notifier.send("WATCHDOG=1") }
            }
        }
        stopped.wait()
        return 0
    }

    private func startTimer(every interval: TimeInterval, _ handler: @escaping () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: interval, leeway: .milliseconds(100))
        timer.setEventHandler(handler: handler)
        timer.resume()
        timers.append(timer)
    }

    // MARK: Signals

    private func installSignals() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                if number == SIGHUP { return reloadConfig() }
                // A second stop signal: exit at once; start-up recovery handles the rest.
                if shuttingDown { _exit(1) }
                beginShutdown()
            }
            source.resume()
            signalSources.append(source)
        }
    }

    func reloadConfig() {
        do {
            let (fresh, missing) = try DaemonConfig.load(path: configPath)
            if missing { log(.warning, "config \(configPath) is missing; keeping the current settings"); return }
            if let problem = Self.unusableFolder(in: fresh) {
                log(.error, "configuration not reloaded, the current settings stay: \(problem)")
                return
            }
            config = fresh
            scanner = LibraryScanner(minBytes: fresh.minBytes, exclude: fresh.exclude, followSymlinks: fresh.followSymlinks)
            stability = StabilityTracker(window: TimeInterval(fresh.stableSecs))
            probed = [:]
            if running.isEmpty { placer = JobPlacer(config: fresh, topology: topology, sysfsRoot: sysfsRoot) }
            if fresh.thermalLimitC != thermal.limit { thermal = ThermalGate(limit: fresh.thermalLimitC) }
            log(.info, "configuration reloaded from \(configPath)")
            checkMachine()
            scanCycle()
        } catch {
            log(.error, "configuration not reloaded: \(error)")
        }
    }

    /// Stop taking work, stop the workers (they remove their partial output), record the jobs
    /// as interrupted, exit within 10 seconds.
    func beginShutdown() {
        shuttingDown = true
        acceptingWork = false
        notifier.send("STOPPING=1")
        log(.info, "stopping: \(running.count) running jobs")
        probing.values.forEach { $0.signal(SIGKILL) }
        running.values.forEach { $0.worker.signal(SIGTERM) }
        queue.asyncAfter(deadline: .now() + 7) { [unowned self] in
            running.values.forEach { $0.worker.signal(SIGKILL) }
        }
        finishShutdownIfIdle()
    }

    func finishShutdownIfIdle() {
        guard shuttingDown, running.isEmpty else { return }
        timers.forEach { $0.cancel() }
        endpoints.stop()
        store.flush()
        log(.info, "stopped")
        stopped.signal()
    }

    func setStatus(_ text: String) { notifier.send("STATUS=\(text)") }

    /// A file changed: scan in a moment (events come in bursts while a file is copied in).
    func scanSoon() {
        guard !eventScanPending, acceptingWork else { return }
        eventScanPending = true
        queue.asyncAfter(deadline: .now() + 2) { [unowned self] in
            eventScanPending = false
            scanCycle()
        }
    }
}

/// The daemon's outward faces: the control socket, the metrics endpoint, the webhook.
/// Each one failing to start is logged, never fatal: encoding matters more.
private struct Endpoints {
    var control: ControlServer?
    var metrics: MetricsServer?
    var webhook: Webhook?

    mutating func start(config: DaemonConfig, control daemon: DaemonControl, log: DaemonLog) {
        let server = ControlServer(path: config.controlSocketPath, control: daemon, log: log)
        do {
            try server.start()
            control = server
        } catch { log(.error, "control socket not available: \(error)") }
        if let listen = config.metricsListen {
            let server = MetricsServer(listen: listen, control: daemon, log: log)
            do {
                try server.start()
                metrics = server
            } catch { log(.error, "metrics endpoint not available: \(error)") }
        }
        if let url = config.webhookURL {
            do { webhook = try Webhook(url: url, log: log) } catch { log(.error, "webhook not used: \(error)") }
        }
    }

    mutating func stop() {
        control?.stop()
        metrics?.stop()
        control = nil
        metrics = nil
    }
}

/// What probing a file decided.
public enum ProbeOutcome: Sendable {
    case encode(ProbeFacts)
    case skip(String, ProbeFacts?)
    case unreadable(String)

    /// The gates that need the file opened.
    public static func gate(_ probe: ProbeFacts, skipDynamicHDR: Bool) -> ProbeOutcome {
        if !probe.hasVideo { return .skip("no video stream", probe) }
        if probe.videoCodec == "av1" { return .skip("already AV1", probe) }
        if let dynamic = probe.dynamicHDR, skipDynamicHDR {
            return .skip("\(dynamic.rawValue) dynamic metadata would be lost (skip_dynamic_hdr = true)", probe)
        }
        return .encode(probe)
    }

    /// Probes `path` in a worker process (a hostile file may crash the C libraries) and waits.
    public static func probe(_ path: String, executable: String, skipDynamicHDR: Bool) -> ProbeOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = WorkerRequest.arguments
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            try input.fileHandleForWriting.write(contentsOf: try WorkerRequest.probe(path).line())
            try input.fileHandleForWriting.close()
        } catch {
            return .unreadable("cannot start a probe worker: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = data.split(separator: UInt8(ascii: "\n")).compactMap { WorkerMessage.parse(Data($0)) }.last
        if let probe = message?.probe { return gate(probe, skipDynamicHDR: skipDynamicHDR) }
        return .unreadable(message?.reason ?? "probe worker ended with status \(process.terminationStatus)")
    }
}
