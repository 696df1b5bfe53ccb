import Foundation
import NativeEncode
import TOMLKit
import LinuxSupport

/// How many jobs run at once: a fixed number, or as many as CPUs and memory allow.
public enum Concurrency: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int)
    case auto

    public var description: String {
        switch self {
        case .fixed(let count): "\(count)"
        case .auto: "auto"
        }
    }
}

/// Which candidates go first.
public enum ScheduleOrder: String, Sendable, CaseIterable {
    /// The biggest expected saving in bytes first.
    case largestSaving = "largest_saving"
    case smallestFirst = "smallest_first"
    case path
}

/// The daemon's configuration: the old daemon's keys with their defaults, plus av1d's own.
/// Every key is optional.
public struct DaemonConfig: Sendable, Equatable {
    // Keys users already have (see shared/notes/original-daemon.md).
    public var libraryRoots = ["/media"]
    public var minBytes: Int64 = 2_147_483_648
    public var maxSizeRatio = 0.90
    public var scanIntervalSecs = 60
    public var jobStateDir = "/var/lib/av1d/jobs"
    public var tempOutputDir = "/var/lib/av1d/temp"
    public var maxConcurrentJobs = Concurrency.fixed(1)
    public var preferEncoder = EncoderChoice.svt
    public var qualityTier = QualityTier.veryHigh
    public var keepOriginal = false
    /// Enter symlinked folders whose target is outside every library root.
    public var followSymlinks = false
    public var writeWhySidecars = true
    /// Predict each title's size from samples first and skip the encode when it cannot shrink.
    public var predict = true
    // av1d's keys; these names are fixed for scripts.
    public var stableSecs = 60
    public var maxAttempts = 2
    public var svtPreset: Int?
    public var crf: Int?
    /// Search each title's CRF on its samples for this quality (off by default).
    public var qualityTarget: QualityTarget?
    public var crfMin = EncodeSettings.defaultCRFRange.lowerBound
    public var crfMax = EncodeSettings.defaultCRFRange.upperBound
    public var outputBitDepth = 10
    public var filmGrain = 0
    public var deinterlace = Deinterlace.auto
    /// Split titles into chunks encoded side by side and resumable after a restart: auto, off or a count.
    /// Off by default while SVT-AV1 1.4.1 crashes now and then with several instances in one
    /// process (issue 14); "auto" or a count opts in.
    public var chunked = ChunkMode.auto
    public var skipDynamicHDR = true
    public var exclude: [String] = []
    public var failedOutputRetentionDays = 7
    /// A worker that reports no progress for this long is killed.
    public var stallTimeoutSecs = 300
    public var scheduleOrder = ScheduleOrder.largestSaving
    public var memoryLimit: Int64?
    public var controlSocket: String?
    public var metricsListen: String?
    public var webhookURL: String?

    /// The roots as the scanner, the replacement and `retry` judge paths against them.
    public var roots: LibraryRoots { LibraryRoots(libraryRoots, followSymlinks: followSymlinks) }
    /// Above this CPU temperature (°C) no new job starts; 0 turns the check off.
    public var thermalLimitC = 85.0

    public init() {}

    /// Keys the file had that av1d does not know (reported as warnings, not errors: a newer
    /// config must not stop an older daemon).
    public private(set) var unknownKeys: [String] = []
}

/// A config file that cannot be used, with the key and line where that is known.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let line: Int?
    public let key: String?
    public let message: String

    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let key { return "\(location): \(key): \(message)" }
        return "\(location): \(message)"
    }
}

extension DaemonConfig {
    /// Reads `path`. A missing file means defaults (`isMissing` tells the caller to warn).
    public static func load(path: String) throws(ConfigError) -> (config: DaemonConfig, isMissing: Bool) {
        guard FileManager.default.fileExists(atPath: path) else { return (DaemonConfig(), true) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(path: path, line: nil, key: nil, message: "cannot read the file")
        }
        return (try parse(text, path: path), false)
    }

    public static func parse(_ text: String, path: String = "config.toml") throws(ConfigError) -> DaemonConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError(path: path, line: error.source.begin.line, key: nil, message: error.description)
        } catch {
            throw ConfigError(path: path, line: nil, key: nil, message: "\(error)")
        }
        let reader = KeyReader(table: table, text: text, path: path)
        var config = DaemonConfig()
        try reader.strings("library_roots") { config.libraryRoots = $0 }
        try reader.int("min_bytes") { config.minBytes = Int64($0) }
        try reader.double("max_size_ratio") { config.maxSizeRatio = $0 }
        try reader.int("scan_interval_secs") { config.scanIntervalSecs = $0 }
        try reader.string("job_state_dir") { config.jobStateDir = $0 }
        try reader.string("temp_output_dir") { config.tempOutputDir = $0 }
        try reader.intOrString("max_concurrent_jobs") { value throws(ConfigError) in
            switch value {
            case .left(let count): config.maxConcurrentJobs = .fixed(count)
            case .right("auto"): config.maxConcurrentJobs = .auto
            case .right(let other): throw reader.error("max_concurrent_jobs", "must be a number or \"auto\", not \"\(other)\"")
            }
        }
        try reader.string("prefer_encoder") { value throws(ConfigError) in
            switch value {
            case "svt": config.preferEncoder = .svt
            case "aom": config.preferEncoder = .aom
            case "auto": config.preferEncoder = .auto
            // The old daemon's last resort; av1d has no rav1e path, so it means "best available".
            case "rav1e": config.preferEncoder = .auto
            default: throw reader.error("prefer_encoder", "must be \"svt\" or \"aom\", not \"\(value)\"")
            }
        }
        try reader.string("quality_tier") { value throws(ConfigError) in
            guard let tier = QualityTier(rawValue: value) else {
                throw reader.error("quality_tier", "must be \"high\" or \"very_high\", not \"\(value)\"")
            }
            config.qualityTier = tier
        }
        try reader.bool("keep_original") { config.keepOriginal = $0 }
        try reader.bool("follow_symlinks") { config.followSymlinks = $0 }
        try reader.bool("write_why_sidecars") { config.writeWhySidecars = $0 }
        try reader.bool("predict") { config.predict = $0 }
        try reader.int("stable_secs") { config.stableSecs = $0 }
        try reader.int("max_attempts") { config.maxAttempts = $0 }
        try reader.int("svt_preset") { config.svtPreset = $0 }
        try reader.int("crf") { config.crf = $0 }
        try reader.double("quality_target_ssim") { config.qualityTarget = .ssim($0) }
        try reader.double("quality_target_psnr") { value throws(ConfigError) in
            if config.qualityTarget != nil {
                throw reader.error("quality_target_psnr", "give quality_target_ssim or quality_target_psnr, not both")
            }
            config.qualityTarget = .psnr(value)
        }
        try reader.int("crf_min") { config.crfMin = $0 }
        try reader.int("crf_max") { config.crfMax = $0 }
        try reader.int("output_bit_depth") { config.outputBitDepth = $0 }
        try reader.int("film_grain") { config.filmGrain = $0 }
        try reader.string("deinterlace") { value throws(ConfigError) in
            guard let mode = Deinterlace(rawValue: value) else {
                throw reader.error("deinterlace", "must be \"auto\" or \"off\", not \"\(value)\"")
            }
            config.deinterlace = mode
        }
        try reader.intOrString("chunked") { value throws(ConfigError) in
            let text = switch value {
            case .left(let count): "\(count)"
            case .right(let word): word
            }
            guard let mode = ChunkMode(text) else {
                throw reader.error("chunked", "must be \"auto\", \"off\" or a worker count of at least 1, not \(text)")
            }
            config.chunked = mode
        }
        try reader.bool("skip_dynamic_hdr") { config.skipDynamicHDR = $0 }
        try reader.strings("exclude") { config.exclude = $0 }
        try reader.int("failed_output_retention_days") { config.failedOutputRetentionDays = $0 }
        try reader.int("stall_timeout_secs") { config.stallTimeoutSecs = $0 }
        try reader.string("schedule_order") { value throws(ConfigError) in
            guard let order = ScheduleOrder(rawValue: value) else {
                throw reader.error("schedule_order", "must be one of \(ScheduleOrder.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.scheduleOrder = order
        }
        try reader.int("memory_limit") { config.memoryLimit = Int64($0) }
        try reader.string("control_socket") { config.controlSocket = $0 }
        try reader.string("metrics_listen") { config.metricsListen = $0 }
        try reader.string("webhook_url") { config.webhookURL = $0 }
        try reader.double("thermal_limit_c") { config.thermalLimitC = $0 }
        config.unknownKeys = reader.unreadKeys
        try config.validate(reader)
        return config
    }

    private func validate(_ reader: KeyReader) throws(ConfigError) {
        if libraryRoots.isEmpty { throw reader.error("library_roots", "must not be empty") }
        if minBytes < 0 { throw reader.error("min_bytes", "must not be negative") }
        if !(maxSizeRatio > 0 && maxSizeRatio <= 1) { throw reader.error("max_size_ratio", "must be above 0 and at most 1") }
        if scanIntervalSecs < 1 { throw reader.error("scan_interval_secs", "must be at least 1") }
        if case .fixed(let count) = maxConcurrentJobs, count < 1 { throw reader.error("max_concurrent_jobs", "must be at least 1") }
        if stableSecs < 0 { throw reader.error("stable_secs", "must not be negative") }
        if maxAttempts < 1 { throw reader.error("max_attempts", "must be at least 1") }
        if let problem = encodeSettings.problem() {
            let key = switch problem.field {
            case .preset: "svt_preset"
            case .crf: "crf"
            case .qualityTarget: "quality_target_\(qualityTarget?.metric.rawValue ?? "ssim")"
            case .crfMin: "crf_min"
            case .crfMax: "crf_max"
            case .bitDepth: "output_bit_depth"
            case .filmGrain: "film_grain"
            // Not settable in the config file.
            case .threads, .keyframeInterval: "\(problem.field)"
            }
            throw reader.error(key, problem.message)
        }
        if failedOutputRetentionDays < 0 { throw reader.error("failed_output_retention_days", "must not be negative") }
        if stallTimeoutSecs < 5 { throw reader.error("stall_timeout_secs", "must be at least 5") }
        if thermalLimitC != 0 && !(40...125).contains(thermalLimitC) {
            throw reader.error("thermal_limit_c", "must be 0 (off) or between 40 and 125")
        }
    }

    /// Engine settings for every file under this configuration; the job adds its CPU set.
    public var encodeSettings: EncodeSettings {
        var settings = EncodeSettings()
        settings.encoder = preferEncoder
        settings.preset = svtPreset
        settings.crf = crf
        settings.qualityTarget = qualityTarget
        settings.crfMin = crfMin
        settings.crfMax = crfMax
        settings.qualityTier = qualityTier
        settings.bitDepth = outputBitDepth
        settings.filmGrain = filmGrain
        settings.deinterlace = deinterlace
        settings.chunks = chunked
        return settings
    }
}

/// Reads typed keys from the parsed table, remembering which were read and where each key's
/// line is, so errors name both.
private final class KeyReader {
    enum Either<L, R> { case left(L), right(R) }

    let table: TOMLTable
    let text: String
    let path: String
    private var read: Set<String> = []

    init(table: TOMLTable, text: String, path: String) {
        self.table = table
        self.text = text
        self.path = path
    }

    var unreadKeys: [String] { table.keys.filter { !read.contains($0) }.sorted() }

    func error(_ key: String, _ message: String) -> ConfigError {
        ConfigError(path: path, line: line(of: key), key: key, message: message)
    }

    /// The line where `key = ...` stands (TOMLKit reports lines only for syntax errors).
    private func line(of key: String) -> Int? {
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(key), trimmed.dropFirst(key.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
                return number + 1
            }
        }
        return nil
    }

    private func value(_ key: String) -> TOMLValueConvertible? {
        read.insert(key)
        return table[key]
    }

    func int(_ key: String, _ apply: (Int) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        guard let int = value.int else { throw error(key, "must be an integer") }
        try apply(int)
    }

    func double(_ key: String, _ apply: (Double) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        guard let double = value.double ?? value.int.map(Double.init) else { throw error(key, "must be a number") }
        try apply(double)
    }

    func bool(_ key: String, _ apply: (Bool) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        guard let bool = value.bool else { throw error(key, "must be true or false") }
        try apply(bool)
    }

    func string(_ key: String, _ apply: (String) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        guard let string = value.string else { throw error(key, "must be a string") }
        try apply(string)
    }

    func strings(_ key: String, _ apply: ([String]) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        guard let array = value.array else { throw error(key, "must be a list of strings") }
        var strings: [String] = []
        for element in array {
            guard let string = element.string else { throw error(key, "must be a list of strings") }
            strings.append(string)
        }
        try apply(strings)
    }

    func intOrString(_ key: String, _ apply: (Either<Int, String>) throws(ConfigError) -> Void) throws(ConfigError) {
        guard let value = value(key) else { return }
        if let int = value.int { return try apply(.left(int)) }
        if let string = value.string { return try apply(.right(string)) }
        throw error(key, "must be a number or a string")
    }
}
