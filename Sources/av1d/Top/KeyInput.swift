import Foundation

/// A key press, as far as `av1d top` cares.
enum Key: Equatable {
    case up, down, enter, escape, backspace
    /// Ctrl-C: raw mode turns it into a byte instead of SIGINT.
    case interrupt
    case character(Character)
}

/// Reads key presses from the terminal in raw mode.
enum KeyInput {
    /// Keys typed before `deadline`; empty when none came. `nil` when the terminal is gone.
    static func read(until deadline: Date) -> [Key]? {
        let milliseconds = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, milliseconds) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN ? [] : nil }
        return count == 0 ? nil : decode(buffer.prefix(count))
    }

    /// Escape sequences arrive whole in one read: `ESC [ A` is up, a lone `ESC` is escape.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [Key] {
        var keys: [Key] = []
        var rest = bytes
        while let byte = rest.popFirst() {
            switch byte {
            case 0x1B:
                guard let next = rest.first, next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else {
                    keys.append(.escape)
                    continue
                }
                rest = rest.dropFirst()
                // Parameters (digits, ';') then one final byte.
                let final = rest.first { !(0x30...0x3F).contains($0) }
                rest = rest.drop { (0x30...0x3F).contains($0) }.dropFirst()
                switch final {
                case UInt8(ascii: "A"): keys.append(.up)
                case UInt8(ascii: "B"): keys.append(.down)
                default: break
                }
            case 0x0D, 0x0A: keys.append(.enter)
            case 0x7F, 0x08: keys.append(.backspace)
            case 0x03: keys.append(.interrupt)
            default:
                if byte >= 0x20, byte < 0x7F { keys.append(.character(Character(UnicodeScalar(byte)))) }
            }
        }
        return keys
    }
}
