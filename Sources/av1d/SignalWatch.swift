import Dispatch
import Foundation
import NativeEncode

/// SIGINT/SIGTERM during an encode: stop cleanly, so the partial output is removed.
final class SignalWatch {
    private let sources: [DispatchSourceSignal]

    init(stop: StopFlag) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // A second signal while stopping means "now".
                if stop.isRaised { _exit(130) }
                stop.raise()
            }
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}

