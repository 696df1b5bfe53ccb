import CFFmpeg
import LinuxSupport

/// A failed FFmpeg call: what was attempted and FFmpeg's own message for the code.
public struct AVFailure: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// FFmpeg's text for the code (`av_strerror`), e.g. "Invalid data found when processing input".
    public var message: String { Self.describe(code) }

    public var description: String { "\(operation): \(message)" }

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Throws unless an FFmpeg return code is non-negative; returns it for calls that report counts.
@discardableResult
func avCheck(_ code: Int32, _ operation: @autoclosure () -> String) throws(AVFailure) -> Int32 {
    if code < 0 { throw AVFailure(code: code, operation: operation()) }
    return code
}

/// Why an encode did not produce an output. `nothingToDo` is an expected outcome, not a fault.
public enum EncodeError: Error, CustomStringConvertible, Sendable {
    public enum NothingToDo: Sendable, Equatable {
        case noVideoStream
        case alreadyAV1
        /// No CRF in the search's range reaches the quality target on the samples (the search's
        /// summary): an encode below the asked quality must not replace the original.
        case qualityTargetUnreachable(String)
    }

    case nothingToDo(NothingToDo)
    /// The input could not be opened or understood (empty, garbage, truncated beyond use).
    case unreadableInput(String)
    /// An FFmpeg call failed while processing.
    case library(AVFailure)
    /// The AV1 encoder refused the configuration or a picture.
    case encoder(String)
    /// The output could not be written, synced or renamed.
    case output(String)
    /// A system call failed; the errno is kept (a full disk is not a bad file).
    case system(SystemError)
    /// The source could not be read to its end: an encode of it would replace a title with less.
    case incompleteSource(SourceShortfall)
    /// The caller asked the encode to stop.
    case cancelled

    public var description: String {
        switch self {
        case .nothingToDo(.noVideoStream): "no video stream"
        case .nothingToDo(.alreadyAV1): "already AV1"
        case .nothingToDo(.qualityTargetUnreachable(let search)): search
        case .unreadableInput(let why): "unreadable input: \(why)"
        case .library(let failure): failure.description
        case .encoder(let why): "encoder: \(why)"
        case .output(let why): "output: \(why)"
        case .system(let failure): failure.description
        case .incompleteSource(let shortfall): shortfall.description
        case .cancelled: "cancelled"
        }
    }
}

extension EncodeError {
    /// Runs a system step inside an encode, keeping its errno as `.system`.
    package static func system<T>(_ body: () throws(SystemError) -> T) throws(EncodeError) -> T {
        do { return try body() } catch { throw .system(error) }
    }
}

/// How a read of the source fell short of the whole file.
public enum SourceShortfall: Sendable, Equatable, CustomStringConvertible {
    /// The file system or the demuxer failed `percent` of the way into the file (by bytes;
    /// nil when the input has no byte position).
    case readError(percent: Int?, message: String)
    /// The video decoder rejected more packets than a damaged but usable file may lose.
    case decodeErrors(lost: Int, frames: Int)
    /// The read ended cleanly, but before the length the header declares.
    case truncated(decodableSeconds: Double, declaredSeconds: Double)
    /// Fewer video packets read than the header's sample table counts.
    case missingFrames(read: Int, declared: Int)

    public var description: String {
        switch self {
        case .readError(let percent?, let message): "read error at \(percent)% (\(message))"
        case .readError(nil, let message): "read error (\(message))"
        case .decodeErrors(let lost, let frames): "\(lost) video packets or frames do not decode (\(frames) did)"
        case .truncated(let decodable, let declared):
            "source is truncated: \(Self.seconds(decodable)) s of \(Self.seconds(declared)) s decodable"
        case .missingFrames(let read, let declared): "source is truncated: \(read) of \(declared) video frames readable"
        }
    }

    /// Tenths of a second: "4.0", "10.0".
    private static func seconds(_ value: Double) -> String { "\((value * 10).rounded() / 10)" }
}
