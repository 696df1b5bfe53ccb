import Foundation

// `av1top` is `av1d top` under the name the users' guide and habits use: it becomes the av1d
// installed beside it (or else the one on PATH), with the same arguments.
let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
let sibling = directory.appendingPathComponent("av1d").path
let arguments = ["av1d", "top"] + CommandLine.arguments.dropFirst()
let argv = arguments.map { strdup($0) } + [nil]
if FileManager.default.isExecutableFile(atPath: sibling) { execv(sibling, argv) }
execvp("av1d", argv)
FileHandle.standardError.write(Data("av1top: cannot run av1d: \(String(cString: strerror(errno))); install it beside av1top or on PATH\n".utf8))
exit(127)
