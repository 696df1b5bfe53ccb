/// Terminal columns taken by text: wide (East Asian, emoji) characters take two, and control
/// characters, which a file name may hold, are shown as `?` so they cannot move the cursor.
extension String {
    var terminalSafe: String {
        String(map { $0.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "?" : $0 })
    }

    var columns: Int { reduce(0) { $0 + $1.columns } }

    /// At most `width` columns; cut text ends with "…".
    func fitted(to width: Int) -> String {
        guard columns > width else { return self }
        guard width > 0 else { return "" }
        var result = ""
        var used = 0
        for character in self {
            guard used + character.columns <= width - 1 else { break }
            result.append(character)
            used += character.columns
        }
        return result + "…"
    }

    /// Exactly `width` columns: cut, or padded with spaces.
    func padded(to width: Int) -> String {
        let fitted = fitted(to: width)
        return fitted + String(repeating: " ", count: max(0, width - fitted.columns))
    }

    /// `self` on the left and `right` against the right edge of `width` columns; the left side
    /// is cut first.
    func spread(_ right: String, width: Int) -> String {
        let rightFitted = right.fitted(to: width)
        return padded(to: width - rightFitted.columns) + rightFitted
    }
}

extension Character {
    var columns: Int {
        guard let scalar = unicodeScalars.first?.value else { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(scalar) } ? 2 : 1
    }
}
