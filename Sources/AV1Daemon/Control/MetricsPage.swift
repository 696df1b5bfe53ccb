import WorkerProtocol
/// The metrics page of a daemon snapshot. Label sets are fixed: job states, and running jobs by
/// slot (their index in the running list), never by file path, so series stay few and stable.
enum MetricsPage {
    static func render(_ snapshot: DaemonSnapshot) -> String {
        var page = PrometheusText()
        let totals = snapshot.totals
        let jobsByState: [(String, Int)] = [
            ("success", totals.success), ("failed", totals.failed), ("skipped", totals.skipped),
            ("running", snapshot.running.count), ("queued", snapshot.queued),
        ]
        page.add("av1d_jobs", .gauge, help: "Jobs by state: finished ones as the job store has them, running and queued now.",
                 samples: jobsByState.map { PrometheusText.Sample(Double($0.1), labels: [("state", $0.0)]) })
        page.add("av1d_frames_encoded_total", .counter, help: "Frames encoded since the daemon started.",
                 value: Double(snapshot.framesEncodedTotal))
        page.add("av1d_encoded_bytes_total", .counter, help: "Bytes written by finished encodes since the daemon started.",
                 value: Double(snapshot.bytesEncodedTotal))
        page.add("av1d_bytes_saved_total", .counter, help: "Bytes saved by replaced files, over the job store's history.",
                 value: Double(totals.bytesSaved))
        page.add("av1d_jobs_skipped_by_prediction", .gauge, help: "Titles the prediction gate skipped without a full encode, over the job store's history.",
                 value: Double(totals.skippedByPrediction ?? 0))
        page.add("av1d_jobs_stopped_by_size_watch", .gauge, help: "Titles whose full encode the size watch stopped part-way, over the job store's history.",
                 value: Double(totals.stoppedBySizeWatch ?? 0))
        page.add("av1d_prediction_error_ratio", .gauge,
                 help: "Mean of |predicted - real| / real size ratio over titles both predicted and encoded in full.",
                 value: totals.predictionMeanError ?? 0)
        page.add("av1d_prediction_cpu_seconds", .gauge, help: "CPU seconds spent encoding and scoring samples, over the job store's history.",
                 value: totals.predictionCpuSeconds ?? 0)
        page.add("av1d_queue_length", .gauge, help: "Files waiting for an encode.", value: Double(snapshot.queued))
        page.add("av1d_paused", .gauge, help: "1 while the daemon takes no new jobs.", value: snapshot.paused ? 1 : 0)
        page.add("av1d_admission_paused", .gauge,
                 help: "1 while no new job starts, by reason: user (paused through the socket), storage (temp or job folder cannot take files) or thermal (CPU too hot).",
                 samples: [PrometheusText.Sample(snapshot.paused ? 1 : 0, labels: [("reason", "user")])]
                     + ["storage", "thermal"].map { reason in
                         PrometheusText.Sample(snapshot.admissionPause?.reason == reason ? 1 : 0, labels: [("reason", reason)])
                     })
        page.add("av1d_cpu_temperature_celsius", .gauge, help: "CPU package sensors (k10temp, coretemp), degrees Celsius.",
                 samples: (snapshot.temperatures ?? []).map {
                     PrometheusText.Sample($0.celsius, labels: [("sensor", $0.sensor), ("label", $0.label)])
                 })
        page.add("av1d_job_fps", .gauge, help: "Encode speed of each running job, frames per second.",
                 samples: perSlot(snapshot) { $0.fps })
        page.add("av1d_worker_rss_bytes", .gauge, help: "Resident memory of each running job's worker process.",
                 samples: perSlot(snapshot) { $0.rssBytes.map(Double.init) })
        page.add("av1d_job_cpus", .gauge, help: "Size of each running job's CPU set.",
                 samples: perSlot(snapshot) { Double($0.cpuCount) })
        return page.text
    }

    /// One sample per running job that has the value, labelled with its slot.
    private static func perSlot(_ snapshot: DaemonSnapshot, _ value: (DaemonSnapshot.RunningJob) -> Double?) -> [PrometheusText.Sample] {
        snapshot.running.enumerated().compactMap { slot, job in
            value(job).map { PrometheusText.Sample($0, labels: [("slot", String(slot))]) }
        }
    }
}
