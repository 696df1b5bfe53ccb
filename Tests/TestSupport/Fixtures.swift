import Foundation

/// Files of this repository that tests use, found from this file's location (Tests/TestSupport).
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The generated test media (scripts/make-fixtures.sh).
    public static let generated = root.appendingPathComponent("fixtures/generated").path

    /// One generated medium.
    public static func path(_ name: String) -> String {
        generated + "/" + name
    }

    /// Any file of the repository, by its path from the top (`scripts/fault-injection/eio-after.c`).
    public static func repository(_ relativePath: String) -> String {
        root.appendingPathComponent(relativePath).path
    }
}

/// The products under test: `av1d` and `av1top` sit beside the test bundle.
public enum Binaries {
    public static let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    public static let av1d = folder + "/av1d"
    public static let av1top = folder + "/av1top"
}

/// A fresh folder per test, removed afterwards.
public final class Scratch {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A shim of scripts/fault-injection built for this test run, for LD_PRELOAD.
public enum FaultShim {
    public static func build(_ name: String) -> String {
        let source = Fixtures.repository("scripts/fault-injection/\(name).c")
        let built = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-\(name)-\(getpid()).so").path
        let cc = try? Run("/usr/bin/env", ["cc", "-shared", "-fPIC", "-O2", "-o", built, source, "-ldl"])
        precondition(cc?.status == 0, "building the \(name) shim failed: \(cc?.stderr ?? "cc not found")")
        return built
    }
}

/// scripts/fault-injection/eio-after.c: with it preloaded, reads of one file fail with EIO past a
/// byte offset (a NAS or USB disk giving up part-way through a file).
public enum ReadFault {
    public static let library = FaultShim.build("eio-after")

    /// The environment that makes reads of `path` fail once `fraction` of its bytes were read.
    public static func environment(failing path: String, after fraction: Double) -> [String: String] {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return ["LD_PRELOAD": library, "AV1D_EIO_PATH": path, "AV1D_EIO_AFTER": String(Int(Double(size) * fraction))]
    }
}
