import Foundation

/// A bounded first-in first-out queue between two threads that moves owned values.
/// Producers block while it is full, so memory held between the stages stays bounded;
/// it also counts the bytes its elements hold, for the memory report.
final class HandoffQueue<Element: ~Copyable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let storage: UnsafeMutablePointer<Element>
    private var weights: [Int]
    private let capacity: Int
    private var head = 0
    private var count = 0
    private var closed = false
    private var heldBytes = 0
    private var peakBytes = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        weights = Array(repeating: 0, count: capacity)
    }

    /// Appends `element`, waiting for room. Returns false (and drops it) once the queue is closed.
    @discardableResult
    func push(_ element: consuming Element, bytes: Int = 0) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count == capacity && !closed { condition.wait() }
        if closed { return false }
        let slot = (head + count) % capacity
        (storage + slot).initialize(to: element)
        weights[slot] = bytes
        count += 1
        heldBytes += bytes
        peakBytes = max(peakBytes, heldBytes)
        condition.broadcast()
        return true
    }

    /// Removes the oldest element, waiting for one. Nil once the queue is closed and empty.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed { condition.wait() }
        if count == 0 { return nil }
        let element = (storage + head).move()
        heldBytes -= weights[head]
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return element
    }

    /// Stops the queue: waiting producers give up, consumers drain what is left.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The most bytes the queue held at once.
    var peakHeldBytes: Int {
        condition.lock()
        defer { condition.unlock() }
        return peakBytes
    }

    deinit {
        for offset in 0..<count { (storage + (head + offset) % capacity).deinitialize(count: 1) }
        storage.deallocate()
    }
}

/// Owns a uniquely owned value that another thread works on: a thread's closure cannot capture
/// a noncopyable value, and the owner decides how long the value lives (the decode stage's
/// input must outlive every reader of its stream pointers, not just the decode thread).
final class SharedOwner<Value: ~Copyable>: @unchecked Sendable {
    private var value: Value

    init(_ value: consuming Value) { self.value = value }

    /// Lends the value to `body`; only one thread may do so at a time.
    func withValue<Result>(_ body: (inout Value) -> Result) -> Result { body(&value) }
}

/// A flag one thread raises and others poll.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    /// A flag this one also follows: the chunk workers of a job stop with the job, and alone.
    private let parent: StopFlag?

    public init() { parent = nil }

    init(following parent: StopFlag) { self.parent = parent }

    public func raise() { lock.withLock { raised = true } }
    public var isRaised: Bool { lock.withLock { raised } || (parent?.isRaised ?? false) }
}
