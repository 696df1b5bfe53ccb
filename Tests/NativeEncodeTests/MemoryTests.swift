import Foundation
import LinuxSupport
import NativeEncode
import Testing

@Suite("Memory", .serialized)
struct MemoryTests {
    /// glibc raises its mmap threshold to the size of each mapped block freed (up to 32 MiB); an
    /// encode holds it, so a 20 MiB block allocated after a 30 MiB one was freed still gets pages of
    /// its own (and gives them back when freed) instead of growing an arena that keeps them.
    /// (Smaller blocks may come out of free space an arena already has, mapped or not.)
    @Test("after an encode, large blocks are mapped on their own even after a larger one was freed")
    func largeBlocksStayMapped() throws {
        let scratch = try Scratch()
        _ = try encodeFixture("tiny.mkv", in: scratch)
        let start = MallocPolicy.mappedBytes
        let large = try #require(malloc(30 << 20))
        #expect(MallocPolicy.mappedBytes - start >= 30 << 20)
        free(large)
        let before = MallocPolicy.mappedBytes
        let block = try #require(malloc(20 << 20))
        defer { free(block) }
        #expect(MallocPolicy.mappedBytes - before >= 20 << 20)
    }

    @Test("the estimate grows with the picture, the bit depth, slower presets and SVT-AV1's thread classes")
    func estimateShape() {
        func estimate(_ width: Int, _ height: Int, depth: Int = 10, threads: Int = 2, preset: Int = 8) -> Int {
            EncodeMemory.estimate(width: width, height: height, bitDepth: depth, threads: threads, preset: preset)
        }
        let hd = estimate(1280, 720)
        #expect(estimate(1920, 1080) > hd)
        #expect(estimate(1280, 720, depth: 8) < hd)
        #expect(estimate(1280, 720, preset: 4) > estimate(1280, 720, preset: 6))
        #expect(estimate(1280, 720, preset: 6) > hd)
        #expect(estimate(1280, 720, preset: 12) == hd)
        // SVT-AV1 1.4.1 steps its pools and threads at 3, 6, 12, 24 and 48 threads, not between.
        #expect(estimate(1280, 720, threads: 3) == estimate(1280, 720, threads: 5))
        #expect(estimate(1280, 720, threads: 6) > estimate(1280, 720, threads: 5))
        #expect(estimate(1280, 720, threads: 48) == estimate(1280, 720, threads: 64))
    }
}
