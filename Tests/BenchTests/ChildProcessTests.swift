import Foundation
@testable import Bench
@testable import NativeEncode
import Testing

@Suite("Child processes")
struct ChildProcessTests {
    @Test("exit status and output files")
    func exitStatus() throws {
        let scratch = try Scratch()
        let run = try runTool("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], in: scratch)
        #expect(run.status == 3)
        #expect(run.stdout == "out\n" && run.stderr == "err\n")
    }

    @Test("a child killed by a signal has no exit status")
    func killed() throws {
        let outcome = try ChildProcesses.run([ChildCommand(executable: "/bin/sh", arguments: ["-c", "kill -9 $$"])])[0]
        #expect(outcome.exitStatus == nil)
        #expect(!outcome.succeeded)
    }

    @Test("several at once, each with its own outcome and environment")
    func several() throws {
        let scratch = try Scratch()
        let commands = (0..<3).map { index in
            ChildCommand(executable: "/bin/sh", arguments: ["-c", "echo $BENCH_VALUE; exit \(index)"],
                         environment: ["BENCH_VALUE": "v\(index)"], standardOutput: scratch.path("\(index).out"))
        }
        let outcomes = try ChildProcesses.run(commands)
        #expect(outcomes.map(\.exitStatus) == [0, 1, 2])
        #expect(try (0..<3).map { try String(contentsOfFile: scratch.path("\($0).out"), encoding: .utf8) } == ["v0\n", "v1\n", "v2\n"])
    }

    @Test("a program that cannot start is an error, not an outcome")
    func missingProgram() {
        #expect(throws: ChildProcesses.SpawnFailure.self) {
            try ChildProcesses.run([ChildCommand(executable: "/nonexistent/program", arguments: [])])
        }
    }
}
