import Foundation

/// Tests that run several SVT-AV1 instances in one process (chunked encodes) are opt-in:
/// SVT-AV1 1.4.1 crashes (SIGSEGV in its own threads) in about one such run in three, which
/// takes the whole test process down. `AV1D_TEST_CHUNKS=1 scripts/test.sh` runs them.
public enum ChunkedRuns {
    public static let enabled = ProcessInfo.processInfo.environment["AV1D_TEST_CHUNKS"] == "1"
}
