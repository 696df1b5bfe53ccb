/// A control socket, metrics address or webhook URL that cannot be used, in words for the log.
public struct EndpointError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
