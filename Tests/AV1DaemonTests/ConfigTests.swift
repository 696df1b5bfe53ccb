import AV1Daemon
import NativeEncode
import Testing
import LinuxSupport

@Suite("Configuration")
struct ConfigTests {
    @Test("the old daemon's keys keep working, with their defaults")
    func oldKeys() throws {
        let config = try DaemonConfig.parse("""
            library_roots = ["/srv/movies", "/srv/tv"]
            min_bytes = 5368709120  # 5 GB
            max_size_ratio = 0.85
            scan_interval_secs = 120
            job_state_dir = "/x/jobs"
            temp_output_dir = "/fast/nvme/av1d/temp"
            max_concurrent_jobs = 2
            prefer_encoder = "svt"
            quality_tier = "high"
            keep_original = true
            write_why_sidecars = false
            """)
        #expect(config.libraryRoots == ["/srv/movies", "/srv/tv"])
        #expect(config.minBytes == 5_368_709_120)
        #expect(config.maxSizeRatio == 0.85)
        #expect(config.scanIntervalSecs == 120)
        #expect(config.tempOutputDir == "/fast/nvme/av1d/temp")
        #expect(config.maxConcurrentJobs == .fixed(2))
        #expect(config.qualityTier == .high)
        #expect(config.keepOriginal && !config.writeWhySidecars)
        #expect(config.unknownKeys.isEmpty)
    }

    @Test("thermal_limit_c: 85 by default, 0 turns it off, nonsense is one line")
    func thermalLimit() throws {
        #expect(DaemonConfig().thermalLimitC == 85)
        #expect(try DaemonConfig.parse("thermal_limit_c = 0").thermalLimitC == 0)
        #expect(try DaemonConfig.parse("thermal_limit_c = 78.5").thermalLimitC == 78.5)
        #expect(throws: ConfigError.self) { try DaemonConfig.parse("thermal_limit_c = 300") }
        do { _ = try DaemonConfig.parse("\nthermal_limit_c = 10", path: "/etc/av1d/config.toml") } catch {
            #expect(error.description == "/etc/av1d/config.toml:2: thermal_limit_c: must be 0 (off) or between 40 and 125")
        }
    }

    @Test("chunked: \"auto\" by default, \"off\" or a worker count; it reaches the engine's settings")
    func chunked() throws {
        #expect(DaemonConfig().chunked == .auto)
        #expect(DaemonConfig().encodeSettings.chunks == .auto)
        #expect(try DaemonConfig.parse("chunked = \"auto\"").encodeSettings.chunks == .auto)
        #expect(try DaemonConfig.parse("chunked = \"off\"").encodeSettings.chunks == .off)
        #expect(try DaemonConfig.parse("chunked = 4").encodeSettings.chunks == .workers(4))
        do { _ = try DaemonConfig.parse("chunked = 0", path: "c.toml") ; Issue.record("0 workers accepted") } catch {
            #expect(error.description == "c.toml:1: chunked: must be \"auto\", \"off\" or a worker count of at least 1, not 0")
        }
    }

    @Test("an empty file means every default")
    func defaults() throws {
        let config = try DaemonConfig.parse("")
        #expect(config == DaemonConfig())
        #expect(config.libraryRoots == ["/media"] && config.minBytes == 2_147_483_648 && config.maxSizeRatio == 0.90)
        #expect(config.stableSecs == 60 && config.maxAttempts == 2 && config.outputBitDepth == 10 && config.skipDynamicHDR)
        #expect(config.deinterlace == .auto)
    }

    @Test("av1d's own keys, and max_concurrent_jobs = \"auto\"")
    func newKeys() throws {
        let config = try DaemonConfig.parse("""
            max_concurrent_jobs = "auto"
            stable_secs = 30
            max_attempts = 3
            svt_preset = 6
            crf = 28
            output_bit_depth = 8
            film_grain = 8
            deinterlace = "off"
            skip_dynamic_hdr = false
            exclude = ["*/Extras/*", "*.sample.mkv"]
            prefer_encoder = "rav1e"
            some_future_key = 1
            """)
        #expect(config.maxConcurrentJobs == .auto)
        #expect(config.svtPreset == 6 && config.crf == 28 && config.outputBitDepth == 8 && config.filmGrain == 8)
        #expect(!config.skipDynamicHDR && config.exclude.count == 2)
        #expect(config.preferEncoder == .auto, "rav1e (gone) falls back to the best available encoder")
        #expect(config.unknownKeys == ["some_future_key"])
        let settings = config.encodeSettings
        #expect(settings.preset == 6 && settings.crf == 28 && settings.bitDepth == 8 && settings.filmGrain == 8)
        #expect(settings.resolvedPreset(height: 2160) == 6, "a configured preset wins over the quality table")
        #expect(config.deinterlace == .off && settings.deinterlace == .off)
    }

    @Test("the quality target: off by default; SSIM or PSNR with CRF bounds, carried into the engine's settings")
    func qualityTarget() throws {
        let plain = try DaemonConfig.parse("")
        #expect(plain.qualityTarget == nil && plain.encodeSettings.qualityTarget == nil)
        #expect(plain.encodeSettings.crfRange == 18...45)
        let ssim = try DaemonConfig.parse("quality_target_ssim = 0.985\ncrf_min = 20\ncrf_max = 40\n").encodeSettings
        #expect(ssim.qualityTarget == .ssim(0.985) && ssim.crfRange == 20...40)
        let psnr = try DaemonConfig.parse("quality_target_psnr = 41\n").encodeSettings
        #expect(psnr.qualityTarget == .psnr(41))
    }

    @Test("a bad file is an error naming the key and the line", arguments: [
        ("min_bytes = 1\nmax_size_ratio = 1.5\n", "max_size_ratio", 2),
        ("\n\nquality_tier = \"ultra\"\n", "quality_tier", 3),
        ("library_roots = []\n", "library_roots", 1),
        ("max_concurrent_jobs = 0\n", "max_concurrent_jobs", 1),
        ("scan_interval_secs = \"often\"\n", "scan_interval_secs", 1),
        ("deinterlace = \"yadif\"\n", "deinterlace", 1),
        ("quality_target_ssim = 1.2\n", "quality_target_ssim", 1),
        ("quality_target_psnr = 0\n", "quality_target_psnr", 1),
        ("quality_target_ssim = 0.98\nquality_target_psnr = 40\n", "quality_target_psnr", 2),
        ("crf_min = 0\n", "crf_min", 1),
        ("crf_min = 30\ncrf_max = 25\n", "crf_max", 2),
        ("crf_max = \"high\"\n", "crf_max", 1),
    ])
    func badValues(text: String, key: String, line: Int) {
        #expect {
            _ = try DaemonConfig.parse(text, path: "/etc/av1d/config.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == key && error.line == line && error.description.hasPrefix("/etc/av1d/config.toml:\(line): \(key):")
        }
    }

    @Test("a syntax error names the line")
    func syntax() {
        #expect {
            _ = try DaemonConfig.parse("min_bytes = 1\nlibrary_roots = [\"/a\"\n")
        } throws: { error in
            (error as? ConfigError)?.line != nil
        }
    }
}
