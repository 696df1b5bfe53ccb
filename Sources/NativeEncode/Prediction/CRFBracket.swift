/// Which CRF the search tries next, from the scores of the CRFs tried so far. Quality falls as
/// the CRF rises, so the answer (the highest CRF that meets the target) lies between the highest
/// CRF known to meet it and the lowest known to miss it. The first try is the configured CRF,
/// the second `firstStep` towards the target; then, as ab-av1's crf-search does, the next try is
/// where a straight line through two scores reaches the target: between the two ends of the
/// bracket once there is one, else on past the two nearest tries. 4 tries on average on
/// curves shaped like real ones (see the tests), never more than `maxSteps`.
struct CRFBracket: Sendable {
    /// Sample encodes at most; past it the highest CRF that met the target is taken.
    static let maxSteps = 7

    enum Next: Equatable {
        case tryCRF(Int)
        /// The highest CRF in range that met the target.
        case chosen(Int)
        /// Even the lowest CRF in range missed it.
        case unreachable
    }

    struct Try: Equatable {
        var crf: Int
        var score: Double
    }

    let range: ClosedRange<Int>
    let target: QualityTarget
    /// The first CRF tried (the configured or table CRF, moved into the range).
    let start: Int
    private(set) var tried: [Try] = []

    init(range: ClosedRange<Int>, target: QualityTarget, start: Int) {
        self.range = range
        self.target = target
        self.start = min(max(start, range.lowerBound), range.upperBound)
    }

    mutating func record(crf: Int, score: Double) {
        tried.append(Try(crf: crf, score: score))
    }

    /// The lowest CRF that missed the target.
    var lowestMiss: Try? {
        tried.filter { !target.isMet(by: $0.score) }.min { $0.crf < $1.crf }
    }

    /// The highest CRF that met the target below every miss: a CRF that met it above one that
    /// missed is measurement noise, and the search does not lean on it.
    var highestMeet: Try? {
        let ceiling = lowestMiss?.crf ?? Int.max
        return tried.filter { target.isMet(by: $0.score) && $0.crf < ceiling }.max { $0.crf < $1.crf }
    }

    var next: Next {
        guard let first = tried.first else { return .tryCRF(start) }
        let meet = highestMeet, miss = lowestMiss
        if let miss, miss.crf <= range.lowerBound { return .unreachable }
        if let meet, meet.crf >= range.upperBound { return .chosen(meet.crf) }
        if let meet, let miss, miss.crf - meet.crf <= 1 { return .chosen(meet.crf) }
        if tried.count >= Self.maxSteps { return meet.map { .chosen($0.crf) } ?? .unreachable }
        if tried.count == 1 {
            // A step of about a quarter of the default range, towards the target: most titles
            // are bracketed by it, and a narrow bracket interpolates well.
            return .tryCRF(clamped(target.isMet(by: first.score) ? first.crf + Self.firstStep : first.crf - Self.firstStep))
        }
        switch (meet, miss) {
        case let (meet?, miss?):
            return .tryCRF(min(max(crossing(meet, miss, rounded: .down) ?? meet.crf + 1, meet.crf + 1), miss.crf - 1))
        case (let meet?, nil):
            // Only meets: on along the line through the two highest, just past where it crosses.
            let below = tried.filter { $0.crf < meet.crf }.max { $0.crf < $1.crf }
            let guess = below.flatMap { crossing($0, meet, rounded: .up) } ?? meet.crf + Self.firstStep
            return .tryCRF(clamped(min(max(guess, meet.crf + 1), meet.crf + 2 * Self.firstStep)))
        case (nil, let miss?):
            let above = tried.filter { $0.crf > miss.crf }.min { $0.crf < $1.crf }
            let guess = above.flatMap { crossing(miss, $0, rounded: .down) } ?? miss.crf - Self.firstStep
            return .tryCRF(clamped(max(min(guess, miss.crf - 1), miss.crf - 2 * Self.firstStep)))
        case (nil, nil):
            return .tryCRF(start)
        }
    }

    /// The CRF the second try moves from the first by.
    static let firstStep = 6

    private func clamped(_ crf: Int) -> Int { min(max(crf, range.lowerBound), range.upperBound) }

    /// The CRF where the line through two tries (scores on the target's linearized scale)
    /// reaches the target; nil when the scores do not fall with the CRF.
    private func crossing(_ lower: Try, _ upper: Try, rounded rule: FloatingPointRoundingRule) -> Int? {
        let a = target.linearized(lower.score), b = target.linearized(upper.score), goal = target.linearized(target.score)
        guard a > b, upper.crf > lower.crf else { return nil }
        let crf = Double(lower.crf) + (a - goal) / (a - b) * Double(upper.crf - lower.crf)
        return Int(crf.rounded(rule))
    }
}
