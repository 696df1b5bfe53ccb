import Foundation
import WorkerProtocol

/// `av1d status` from the job store: the jobs running now and the totals.
extension StatusReport {
    public init(jobs: [JobRecord], queued: Int = 0) {
        let running = jobs.filter { $0.status.isActive }.sorted { ($0.startedAt ?? $0.createdAt) < ($1.startedAt ?? $1.createdAt) }
            .map(DaemonSnapshot.RunningJob.init(record:))
        let waiting = queued + jobs.filter { $0.status == .pending }.count
        var totals = Totals()
        var ratios: [Double] = []
        var predictionErrors: [Double] = []
        var predictionCPU = 0.0
        var predictedSkips = 0, watchStops = 0
        for job in jobs {
            if job.skippedByPrediction == true { predictedSkips += 1 }
            if job.stoppedAtFraction != nil { watchStops += 1 }
            if let error = job.predictionError { predictionErrors.append(abs(error)) }
            predictionCPU += job.predictionCpuSeconds ?? 0
            switch job.status {
            case .success:
                totals.success += 1
                let new = job.newBytes ?? job.originalBytes
                totals.bytesSaved += job.originalBytes - new
                totals.originalBytes += job.originalBytes
                totals.newBytes += new
                if job.originalBytes > 0 { ratios.append(Double(new) / Double(job.originalBytes)) }
                if let start = job.startedAt, let end = job.finishedAt { totals.encodeSeconds += end.timeIntervalSince(start) }
            case .failed: totals.failed += 1
            case .skipped: totals.skipped += 1
            case .interrupted: totals.interrupted += 1
            default: break
            }
        }
        totals.skippedByPrediction = predictedSkips
        totals.stoppedBySizeWatch = watchStops
        totals.predictionsChecked = predictionErrors.count
        totals.predictionMeanError = predictionErrors.isEmpty ? nil : predictionErrors.reduce(0, +) / Double(predictionErrors.count)
        totals.predictionCpuSeconds = predictionCPU
        totals.averageRatio = ratios.isEmpty ? nil : ratios.reduce(0, +) / Double(ratios.count)
        self.init(running: running, queued: waiting, totals: totals)
    }
}
