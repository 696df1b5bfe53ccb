// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "av1d",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "av1d", targets: ["av1d"]),
        .executable(name: "av1top", targets: ["av1top"]),
        .library(name: "NativeEncode", targets: ["NativeEncode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // FFmpeg 5.1 (libavformat, libavcodec, libavutil, libswscale, libavfilter, libswresample) as one module.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libavfilter-dev", "libswresample-dev"])]),
        // No pkgConfig: Debian's SvtAv1Enc.pc adds -DEB_DLL, which SwiftPM rejects as unsafe.
        .systemLibrary(name: "CSvtAv1", providers: [.apt(["libsvtav1enc-dev"])]),
        .systemLibrary(name: "CAom", pkgConfig: "aom", providers: [.apt(["libaom-dev"])]),
        // sched_setaffinity and CPU_SET are macros behind _GNU_SOURCE: a tiny C target reaches them.
        .target(name: "CLinuxShims", cSettings: [.define("_GNU_SOURCE")]),
        // The Linux pieces every layer needs, with no media library: CPU sets and affinity, durable
        // and atomic files, /proc readers, sockets and peer credentials, systemd notify, errno errors.
        .target(name: "LinuxSupport", dependencies: ["CLinuxShims"]),
        .target(name: "NativeEncode", dependencies: ["CFFmpeg", "CSvtAv1", "CAom", "LinuxSupport"]),
        // `av1d bench`: the encoder alone, the whole pipeline and ffmpeg side by side, presets, quality.
        .target(name: "Bench", dependencies: ["CFFmpeg", "NativeEncode", "LinuxSupport"]),
        // Machine topology (CPUs, L3 domains, NUMA, SMT, cgroups) and job placement; memory budgets.
        .target(name: "Placement", dependencies: ["LinuxSupport"]),
        // What crosses a process boundary: the worker's request and messages, the control protocol
        // and its client. Both the daemon and the `av1d` commands import it.
        .target(name: "WorkerProtocol", dependencies: ["LinuxSupport", "NativeEncode", "Placement"]),
        // The library daemon: config, scanner, gates, job store, workers, verify, replace, recovery.
        .target(name: "AV1Daemon", dependencies: [
            "LinuxSupport", "NativeEncode", "Placement", "WorkerProtocol",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .executableTarget(name: "av1d", dependencies: [
            "LinuxSupport", "NativeEncode", "Bench", "Placement", "WorkerProtocol", "AV1Daemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // `av1top`: the name users know for `av1d top`; it runs the av1d beside it.
        .executableTarget(name: "av1top"),
        // What the test targets share: fixtures, scratch folders, the binaries under test,
        // running programs, ffprobe reads, fault-injection shims.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NativeEncodeTests", dependencies: ["TestSupport", "NativeEncode", "LinuxSupport"]),
        .testTarget(name: "PlacementTests", dependencies: ["TestSupport", "Placement", "LinuxSupport"]),
        .testTarget(name: "AV1DaemonTests", dependencies: ["TestSupport", "AV1Daemon", "WorkerProtocol", "LinuxSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["TestSupport", "Bench", "NativeEncode", "LinuxSupport"]),
        .testTarget(name: "WorkerProtocolTests", dependencies: ["TestSupport", "WorkerProtocol", "NativeEncode", "LinuxSupport"]),
        .testTarget(name: "ControlTests", dependencies: ["TestSupport", "AV1Daemon", "WorkerProtocol", "Placement", "LinuxSupport"]),
    ]
)
