/// A block of the screen: title lines, then a list of items (each one or more lines). When the
/// terminal is too small, sections give up items from the lowest priority up, then vanish whole.
struct ScreenSection {
    let priority: Int
    let head: [ScreenLine]
    let items: [[ScreenLine]]
    /// The item to keep in view when the list is cut (the selected job).
    let pinned: Int?
    private var visibleItems: Int

    init(priority: Int, head: [ScreenLine], items: [[ScreenLine]] = [], pinned: Int? = nil) {
        self.priority = priority
        self.head = head
        self.items = items
        self.pinned = pinned
        visibleItems = items.count
    }

    var lines: [ScreenLine] {
        // A window over the items that ends no earlier than the pinned one.
        let start = pinned.map { max(0, $0 - visibleItems + 1) } ?? 0
        let shown = items[start..<min(items.count, start + visibleItems)]
        let hidden = items.count - shown.count
        return head + shown.flatMap { $0 } + (hidden > 0 ? [ScreenLine("  … \(hidden) more", .dim)] : [])
    }

    /// Shows one item fewer; false when only one (or none) is left, and the section must go whole.
    mutating func shrink() -> Bool {
        guard visibleItems > 1 else { return false }
        visibleItems -= 1
        return true
    }

    /// The sections that fit in `rows`, in their order, shrunk or dropped lowest priority first.
    static func fit(_ sections: [ScreenSection], rows: Int) -> [ScreenLine] {
        var sections = sections
        while sections.reduce(0, { $0 + $1.lines.count }) > rows, !sections.isEmpty {
            let lowest = sections.indices.min { sections[$0].priority < sections[$1].priority }!
            if !sections[lowest].shrink() { sections.remove(at: lowest) }
        }
        return sections.flatMap(\.lines)
    }
}
