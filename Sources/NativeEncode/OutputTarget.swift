import CFFmpeg
import Foundation

/// Rules for where an encode may write.
public enum OutputTarget {
    /// The suffix of an encode in progress; recovery removes leftovers by it.
    public static let partialSuffix = ".av1d-partial"

    /// Refuses to write over the input, or over an existing output unless asked to.
    static func check(input: String, output: String, overwrite: Bool) throws(EncodeError) {
        let manager = FileManager.default
        guard manager.fileExists(atPath: input) else { throw .unreadableInput("no such file") }
        if canonical(input) == canonical(output) { throw .output("refusing to overwrite the input \(input)") }
        if manager.fileExists(atPath: output) && !overwrite {
            throw .output("\(output) already exists (use --overwrite to replace it)")
        }
        let folder = (output as NSString).deletingLastPathComponent
        if !manager.isWritableFile(atPath: folder.isEmpty ? "." : folder) {
            throw .output("cannot write in \(folder.isEmpty ? "." : folder)")
        }
    }

    /// A hidden name in the output's folder: same file system, so the final rename is atomic.
    public static func temporaryPath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent)\(partialSuffix)").path
    }

    /// Whether a file name is an encode in progress (or one a crash left behind).
    public static func isPartial(name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(partialSuffix)
    }

    public static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }
}

/// How loud the C libraries are: errors only, unless the user asked to see their own logs.
package enum LibraryLogs {
    package static func configure(verbose: Bool) {
        // Failures reach the user as one line naming the file; the libraries stay quiet unless asked.
        av_log_set_level(verbose ? AV_LOG_INFO : AV_LOG_QUIET)
        // SVT-AV1 reads its level from the environment when an encoder starts; 3 includes its
        // configuration summary. A level the user exported wins.
        if getenv("SVT_LOG") == nil || verbose { setenv("SVT_LOG", verbose ? "3" : "1", 1) }
    }
}
