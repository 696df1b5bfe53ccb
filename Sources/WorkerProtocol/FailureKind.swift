import Foundation
import LinuxSupport
import NativeEncode

/// Whose fault a failed job is. A file's fault counts as an attempt and may end in a skip marker;
/// the environment's (a full disk, a missing or read-only temp folder) never does: the daemon
/// pauses and tries the file again when the condition clears.
public enum FailureKind: String, Codable, Sendable {
    case file
    case environment

    /// Judges a failed encode: the kernel's errno where the error kept one, else whether the
    /// output's folder is usable right now (a temp folder removed mid-encode fails with ENOENT).
    public static func of(_ error: any Error, outputFolder: String?) -> FailureKind {
        if let code = errorNumber(of: error), SystemError("", code: code).isNoSpace || code == EROFS { return .environment }
        if let outputFolder, FolderCheck.problem(with: outputFolder) != nil { return .environment }
        return .file
    }

    /// The errno an engine or system error carries, if any (FFmpeg's AVERROR(e) is -e).
    public static func errorNumber(of error: any Error) -> Int32? {
        switch error {
        case let failure as SystemError: failure.code
        case let failure as AVFailure: failure.code < 0 && failure.code > -4096 ? -failure.code : nil
        case EncodeError.system(let failure): failure.code
        case EncodeError.library(let failure): errorNumber(of: failure)
        default: nil
        }
    }
}
