import Foundation
import Synchronization
import WorkerProtocol

/// Tells a URL when a job finishes or fails: a small JSON POST, sent from a background queue so
/// encoding never waits for it. Deliveries go one at a time, each given up after 5 seconds and
/// never retried; when the endpoint is slower than the jobs, the oldest pending ones are dropped.
/// `http://` and `https://` (Foundation's URLSession; the system's certificate store).
public final class Webhook: Sendable {
    public enum Event: String, Codable, Sendable {
        case finished, failed
    }

    static let timeout: TimeInterval = 5
    static let maxPending = 100

    private struct Delivery: Sendable {
        let jobID: String
        let body: Data
    }

    private struct State {
        var pending: [Delivery] = []
        var delivering = false
        var dropped = 0
        /// The last delivery failed: further failures are not logged until one succeeds.
        var failing = false
    }

    private struct Body: Encodable {
        let event: Event
        let job: DaemonSnapshot.FinishedJob
    }

    private let post: JSONPost
    private let log: DaemonLog
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "av1d.webhook")

    /// Throws for a URL that is not `http(s)://host[:port]/path`.
    public init(url: String, log: DaemonLog) throws(EndpointError) {
        post = try JSONPost(url: url)
        self.log = log
    }

    /// Queues the notification and returns at once. A job already waiting for delivery is
    /// sent once, with its latest event.
    public func notify(event: Event, job: DaemonSnapshot.FinishedJob) {
        guard let body = try? JSONEncoder.av1d.encode(Body(event: event, job: job)) else { return }
        let startDelivering = state.withLock { state in
            state.pending.removeAll { $0.jobID == job.id }
            state.pending.append(Delivery(jobID: job.id, body: body))
            if state.pending.count > Self.maxPending {
                state.pending.removeFirst()
                state.dropped += 1
            }
            defer { state.delivering = true }
            return !state.delivering
        }
        if startDelivering { queue.async { [self] in deliverPending() } }
    }

    private func deliverPending() {
        // The log names the host only: a webhook URL often carries a token.
        let endpoint = "webhook to \(post.endpoint)"
        while let (delivery, dropped) = nextDelivery() {
            if dropped > 0 { log(.warning, "\(endpoint): \(dropped) notifications dropped, it answers too slowly") }
            let failure: String?
            do {
                let status = try post.send(json: delivery.body, timeout: Self.timeout)
                failure = (200..<300).contains(status) ? nil : "answered HTTP \(status)"
            } catch {
                failure = error.description
            }
            let wasFailing = state.withLock { state in
                defer { state.failing = failure != nil }
                return state.failing
            }
            switch (failure, wasFailing) {
            case (let failure?, false): log(.warning, "\(endpoint): \(failure); further failures are not logged until one succeeds", job: delivery.jobID)
            case (nil, true): log(.info, "\(endpoint) works again")
            default: break
            }
        }
    }

    /// The oldest pending delivery and how many were dropped before it; nil (and no longer
    /// delivering) when none is left.
    private func nextDelivery() -> (Delivery, dropped: Int)? {
        state.withLock { state in
            guard !state.pending.isEmpty else {
                state.delivering = false
                return nil
            }
            defer { state.dropped = 0 }
            return (state.pending.removeFirst(), state.dropped)
        }
    }
}
