import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An `http://` or `https://` URL to POST JSON to, through Foundation's URLSession (libcurl on
/// Linux: TLS and the system's certificate store come with it).
struct JSONPost: Sendable {
    let url: URL
    /// Host and port only: a webhook URL often carries a token in its path or query.
    let endpoint: String

    init(url text: String) throws(EndpointError) {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
              let url = components.url else {
            throw EndpointError("\(text) is not a URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw EndpointError("\(text): only http:// and https:// URLs are supported")
        }
        self.url = url
        endpoint = "\(host):\(components.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// Posts `body` and returns the response's status code; the whole exchange gives up after `timeout`.
    func send(json body: Data, timeout: TimeInterval) throws(EndpointError) -> Int {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("av1d", forHTTPHeaderField: "User-Agent")
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let answered = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        session.dataTask(with: request) { _, response, error in
            outcome.set(status: (response as? HTTPURLResponse)?.statusCode, error: error)
            answered.signal()
        }.resume()
        // URLSession's own timeout ends the task; this bound only guards against it not doing so.
        guard answered.wait(timeout: .now() + timeout + 1) == .success else { throw EndpointError("no answer in \(Int(timeout)) s") }
        let (status, error) = outcome.value
        if let error { throw EndpointError(error.localizedDescription) }
        guard let status else { throw EndpointError("no HTTP response") }
        return status
    }

    /// What the completion handler saw, handed from URLSession's queue to the waiting thread.
    private final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        private var error: (any Error)?

        func set(status: Int?, error: (any Error)?) {
            lock.withLock { (self.status, self.error) = (status, error) }
        }

        var value: (Int?, (any Error)?) { lock.withLock { (status, error) } }
    }
}
