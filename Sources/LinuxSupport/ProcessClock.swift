import Glibc

/// A clock that only moves forward, for measuring durations.
public enum Monotonic {
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }
}

/// This process's clocks at one instant.
public struct UsageSample: Sendable {
    public let wallSeconds: Double
    /// User plus system time of every thread so far.
    public let cpuSeconds: Double

    public static func now() -> UsageSample {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return UsageSample(wallSeconds: Monotonic.seconds(), cpuSeconds: usage.ru_utime.seconds + usage.ru_stime.seconds)
    }
}

extension timeval {
    public var seconds: Double { Double(tv_sec) + Double(tv_usec) / 1_000_000 }
}
