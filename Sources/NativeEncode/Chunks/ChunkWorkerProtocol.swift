import Foundation
import LinuxSupport

/// The lines a chunk worker process and the job that started it exchange (one JSON object per
/// line, in the project's JSON dialect). The job writes a `ChunkWorkerSetup`, then one
/// `ChunkTask` per chunk it hands over, and closes the pipe when no chunk is left; the worker
/// answers each task with `ChunkWorkerReport` lines.
struct ChunkWorkerSetup: Codable, Sendable {
    var source: String
    var settings: EncodeSettings
    /// The CPUs the worker's threads (decoder and encoder) are confined to, as a list ("0-7").
    var cpus: String
}

/// One chunk to encode: the pictures of the source in [start, end) into the file at `path`.
struct ChunkTask: Codable, Sendable {
    var index: Int
    var start: Int64
    var end: Int64?
    var path: String
}

enum ChunkWorkerReport: Codable, Sendable {
    /// One more picture encoded, with its size: the job's progress (and its size watch).
    case picture(bytes: Int, isKeyframe: Bool)
    /// The chunk's file is committed (synced, renamed).
    case finished(ChunkFolder.FinishedChunk)
    case failed(ChunkFailure)
}

/// Why a chunk could not be encoded, in a form that crosses the pipe and becomes the job's
/// `EncodeError` again (a full disk stays a full disk).
enum ChunkFailure: Codable, Sendable, Error {
    /// The chunk does not fit the source: the job encodes the title in one piece instead.
    case mismatch(String)
    case system(SystemError)
    case library(code: Int32, operation: String)
    case unreadableInput(String)
    case encoder(String)
    case output(String)
    /// Anything else, by its description.
    case other(String)

    init(_ error: EncodeError) {
        switch error {
        case .system(let failure): self = .system(failure)
        case .library(let failure): self = .library(code: failure.code, operation: failure.operation)
        case .unreadableInput(let why): self = .unreadableInput(why)
        case .encoder(let why): self = .encoder(why)
        case .output(let why): self = .output(why)
        default: self = .other(error.description)
        }
    }

    var encodeError: EncodeError {
        switch self {
        case .mismatch(let why): .encoder("chunk join: \(why)")
        case .system(let failure): .system(failure)
        case .library(let code, let operation): .library(AVFailure(code: code, operation: operation))
        case .unreadableInput(let why): .unreadableInput(why)
        case .encoder(let why): .encoder(why)
        case .output(let why): .output(why)
        case .other(let why): .encoder("chunk worker: \(why)")
        }
    }
}

extension ChunkWorkerReport {
    func line() -> Data {
        // Encoding these plain values cannot fail.
        var data = (try? JSONEncoder.av1d.encode(self)) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
