import ArgumentParser
import Foundation
import NativeEncode

enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    case bar, json, none
}

/// Shows encode progress: a one-line bar on a terminal, or JSON lines for programs.
final class ProgressDisplay: Sendable {
    let style: ProgressStyle
    let file: String

    init(style: ProgressStyle, file: String) {
        self.style = style
        self.file = file
    }

    var observer: ProgressObserver? {
        switch style {
        case .none: return nil
        case .json:
            return { progress in
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                guard let data = try? encoder.encode(ProgressLine(progress)) else { return }
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        case .bar:
            return { progress in
                let width = 30
                let filled = Int(progress.fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                let eta = progress.etaSeconds.map { "ETA \(Format.seconds($0))" } ?? "ETA --"
                let line = String(format: "\r[%@] %5.1f%% %d/%d frames %.1f fps out %@ %@ ",
                                  bar, progress.fraction * 100, progress.framesEncoded, progress.framesTotal,
                                  progress.fps, Format.bytes(progress.outputBytes), eta)
                Terminal.write(line + "\u{1B}[K")
            }
        }
    }

    /// The CRF search's steps on a terminal: which CRF, sample and frame.
    var searchObserver: CRFSearch.StepObserver? {
        guard style == .bar else { return nil }
        return { step, crf, sample, count, progress in
            Terminal.write("\rsearching CRF: step \(step), CRF \(crf), sample \(sample) of \(count), frame \(progress.framesEncoded)\u{1B}[K")
        }
    }

    func finish() {
        if style == .bar { Terminal.write("\r\u{1B}[K") }
    }
}

/// One JSON progress line: stable keys for scripts.
struct ProgressLine: Encodable {
    let frames: Int
    let totalFrames: Int
    let percent: Double
    let fps: Double
    let outputBytes: Int64
    let elapsedSeconds: Double
    let etaSeconds: Double?

    init(_ progress: EncodeProgress) {
        frames = progress.framesEncoded
        totalFrames = progress.framesTotal
        percent = (progress.fraction * 1000).rounded() / 10
        fps = (progress.fps * 100).rounded() / 100
        outputBytes = progress.outputBytes
        elapsedSeconds = (progress.elapsedSeconds * 100).rounded() / 100
        etaSeconds = progress.etaSeconds.map { ($0 * 10).rounded() / 10 }
    }

    enum CodingKeys: String, CodingKey {
        case frames, totalFrames = "total_frames", percent, fps, outputBytes = "output_bytes"
        case elapsedSeconds = "elapsed_secs", etaSeconds = "eta_secs"
    }
}

enum Terminal {
    static var isInteractive: Bool { isatty(STDERR_FILENO) != 0 }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func error(_ line: String) {
        write("error: \(line)\n")
    }
}

enum Format {
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "--" }
        let total = Int(value.rounded())
        if total < 60 { return String(format: "%.1fs", value) }
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }
}
