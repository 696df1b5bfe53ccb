import ArgumentParser
import Foundation
import NativeEncode

/// A chunk worker process of a chunked encode: encodes the chunks its job hands it on stdin, one
/// SVT-AV1 instance at a time (see `ChunkEncoder`).
struct ChunkWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chunk-worker",
        abstract: "Internal: a chunk worker process of a chunked encode (JSON lines on stdin).",
        shouldDisplay: false)

    func run() throws {
        // It never outlives the job that started it, even one killed outright.
        ProcessLifetime.endWithParent(expectedParent: getppid())
        let status = ChunkEncoder.serve()
        if status != 0 { throw ExitCode(status) }
    }
}
