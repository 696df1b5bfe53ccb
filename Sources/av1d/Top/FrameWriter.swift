/// One row of the screen: text and how it is shown.
struct ScreenLine: Equatable {
    enum Style {
        case plain, bold, dim, reversed, warning
    }

    var text: String
    var style: Style

    init(_ text: String, _ style: Style = .plain) {
        self.text = text
        self.style = style
    }

    static let blank = ScreenLine("")
}

/// Draws frames without flicker: only rows that differ from the previous frame are rewritten,
/// all in one write, inside a synchronized update for terminals that support one.
struct FrameWriter {
    private var previous: [String] = []
    private var previousSize: TerminalSize?

    mutating func draw(_ lines: [ScreenLine], size: TerminalSize) {
        let rows = (0..<size.rows).map { index in
            index < lines.count ? Self.render(lines[index], width: size.columns) : ""
        }
        var output = ""
        if size != previousSize {
            // A resized terminal may have reflowed the old frame: start from a clear screen.
            output = "\u{1B}[2J"
            previous = []
            previousSize = size
        }
        for (index, row) in rows.enumerated() where index >= previous.count || previous[index] != row {
            // Move to the row, clear it, write it. Clearing after the text would erase the last
            // column: without autowrap the cursor stays on it.
            output += "\u{1B}[\(index + 1);1H\u{1B}[2K\(row)"
        }
        previous = rows
        guard !output.isEmpty else { return }
        TerminalSession.write("\u{1B}[?2026h" + output + "\u{1B}[?2026l")
    }

    private static func render(_ line: ScreenLine, width: Int) -> String {
        let text = line.text.fitted(to: width)
        switch line.style {
        case .plain: return text
        case .bold: return "\u{1B}[1m\(text)\u{1B}[0m"
        case .dim: return "\u{1B}[2m\(text)\u{1B}[0m"
        // Reversed fills the row, so a selected row reads as a bar.
        case .reversed: return "\u{1B}[7m\(text.padded(to: width))\u{1B}[0m"
        case .warning: return "\u{1B}[1;33m\(text)\u{1B}[0m"
        }
    }
}
