import Foundation

/// The terminal in full-screen mode: raw input, the alternate screen, no cursor, no line wrap.
/// Whatever way the program ends, the terminal comes back as it was: `end()`, a normal exit
/// (atexit), a terminating signal or a crash (the handlers restore it, then die of the signal).
enum TerminalSession {
    // Read by signal handlers, which cannot capture context: plain globals, set before the
    // handlers are installed.
    nonisolated(unsafe) private static var original = termios()
    nonisolated(unsafe) private static var active = false

    private static let fatalSignals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Alternate screen, hidden cursor, no autowrap (a full last column must not scroll).
    private static let enterSequence = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[?7l\u{1B}[2J"

    /// The reverse of `enterSequence`; a StaticString so a signal handler can write it without allocating.
    private static var leaveSequence: StaticString { "\u{1B}[0m\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l" }

    static var isTerminal: Bool { isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 }

    static func begin() throws {
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { throw TerminalError("cannot read the terminal's settings") }
        var raw = original
        cfmakeraw(&raw)
        active = true
        atexit { TerminalSession.end() }
        for number in fatalSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                TerminalSession.end()
                // SA_RESETHAND put the default action back: raising again ends the process as the
                // signal meant to.
                raise(number)
            }
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(number, &action, nil)
        }
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else {
            end()
            throw TerminalError("cannot switch the terminal to raw mode")
        }
        write(enterSequence)
    }

    /// Restores the terminal; safe to call more than once and from a signal handler.
    static func end() {
        guard active else { return }
        active = false
        let sequence = leaveSequence
        _ = Glibc.write(STDOUT_FILENO, sequence.utf8Start, sequence.utf8CodeUnitCount)
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
    }

    /// Writes all of `text` to the terminal in one go.
    static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Rows and columns; 80x24 when the terminal does not say.
    static var size: TerminalSize {
        var window = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_row > 0, window.ws_col > 0 else {
            return TerminalSize(rows: 24, columns: 80)
        }
        return TerminalSize(rows: Int(window.ws_row), columns: Int(window.ws_col))
    }
}

struct TerminalSize: Equatable {
    let rows: Int
    let columns: Int
}

struct TerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
