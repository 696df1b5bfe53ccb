import Foundation
import Placement

/// The machine's health in the loop: CPU temperature gates admission; governors and network
/// temp folders are warned about at start-up and on reload.
extension Supervisor {
    /// Each second: a CPU above `thermal_limit_c` stops new jobs (running ones go on) until it is
    /// 5°C below the limit. Logged once per episode.
    func watchTemperature() {
        temperatures = CPUTemperature.read(sysfsRoot: sysfsRoot)
        switch thermal.update(temperatures) {
        case .paused:
            log(.warning, "thermal pause: \(thermal.reason ?? "CPU too hot")")
            reportStatus()
        case .resumed(let reading):
            let now = reading.map { " (\(TemperatureReading.format($0.celsius)))" } ?? ""
            log(.info, "thermal pause over: CPU cooled\(now); taking new jobs again")
            schedule()
        case nil:
            break
        }
    }

    /// Governors of the encoding CPUs and the file systems of the temp and job folders; each
    /// warning is logged once per start or reload.
    func checkMachine() {
        let health = MachineHealth.read(sysfsRoot: sysfsRoot, cpus: topology.usable, folders: [
            ("temp_output_dir", config.tempOutputDir), ("job_state_dir", config.jobStateDir),
        ])
        machineWarnings = health.warnings
        for warning in health.warnings { log(.warning, warning) }
        for note in health.notes { log(.info, note) }
        watchTemperature()
    }
}
