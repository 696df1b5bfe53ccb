import LinuxSupport
import NativeEncode

/// The two measurements of our own engine. `av1d bench` runs each in a fresh process of its own,
/// so that peak memory and CPU time belong to that measurement alone.
public enum BenchRun {
    /// The encoder alone: decodes the segment into memory (not timed), times the encoder on it
    /// (from creating it to tearing it down), then scores the output against the pictures (not timed).
    public static func encoderAlone(_ job: BenchJob) throws(EncodeError) -> EncoderAloneResult {
        LibraryLogs.configure(verbose: false)
        // As an encode does: every thread started from here on (decoder, encoder) inherits the set.
        if let cpus = job.cpus { try EncodeError.system { () throws(SystemError) in try CPUAffinity.confineProcess(to: cpus) } }
        let segment = try DecodedSegment(path: job.input, settings: job.settings, threads: job.threads)
        let before = UsageSample.now()
        let packets = try EncoderAlone.encode(segment, choice: job.encoder)
        let after = UsageSample.now()
        let run = RunMeasurement(
            frames: segment.frames.count, wallSeconds: after.wallSeconds - before.wallSeconds,
            cpuSeconds: after.cpuSeconds - before.cpuSeconds, cpuCount: CPUAffinity.current().count,
            peakRSSBytes: ProcessMemory.peakRSS(), videoBytes: packets.reduce(0) { $0 + Int64($1.bytes.count) })
        let quality = try EncodedQuality.score(packets, against: segment.frames, bitDepth: job.bitDepth)
        return EncoderAloneResult(run: run, quality: quality, heldFrameBytes: segment.frames.bufferBytes)
    }

    /// The full pipeline from the file (demux, decode, encode, mux, sync) into `output`, timed
    /// around the one call an encode makes.
    public static func pipeline(_ job: BenchJob, output: String) throws(EncodeError) -> RunMeasurement {
        let before = UsageSample.now()
        let summary = try Transcoder(settings: job.settings).encode(input: job.input, output: output, overwrite: true)
        let after = UsageSample.now()
        return RunMeasurement(
            frames: summary.framesEncoded, wallSeconds: after.wallSeconds - before.wallSeconds,
            cpuSeconds: after.cpuSeconds - before.cpuSeconds, cpuCount: summary.cpus.count,
            peakRSSBytes: summary.peakRSSBytes, videoBytes: try VideoStreamSize(path: output).bytes)
    }
}
