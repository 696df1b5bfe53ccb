import CLinuxShims

/// How glibc's malloc keeps the memory an encode frees.
///
/// By default glibc raises its mmap threshold to the size of every mmapped block that is freed
/// (up to 32 MiB). SVT-AV1's worker threads allocate and free buffers of 0.6-3 MiB for every frame
/// at 720p, so after the first of them all later ones come from the threads' malloc arenas (up to
/// 8 per CPU), and each arena keeps what was freed in it resident. Measured with
/// `benchmarks/encode-memory.sh` (720p, 10-bit, 2 threads): the peak RSS of a preset-8 encode falls
/// from ~520 to ~376 MiB with the threshold held at its starting value, a preset-4 encode's from
/// ~680 to ~468 MiB; the encoded bytes are the same. The cost is the page faults of fresh pages
/// for those buffers: ~1% more CPU time at preset 4, ~5% at preset 8.
public enum MallocPolicy {
    /// glibc's own starting threshold: blocks this large or larger are mapped on their own.
    public static let mappedBlockBytes = 128 << 10

    /// Holds the mmap threshold at `mappedBlockBytes` for the rest of the process, so that every
    /// large block goes back to the kernel when it is freed and the resident memory of an encode is
    /// what it uses now, not the most it ever used in each arena. Process-wide, like CPU
    /// confinement: meant for processes that run encodes. Returns false if glibc refused.
    @discardableResult
    public static func returnLargeBlocksWhenFreed() -> Bool {
        av1d_malloc_set_mmap_threshold(Int32(mappedBlockBytes)) == 1
    }

    /// Bytes this process holds in blocks mapped on their own.
    public static var mappedBytes: Int { Int(av1d_malloc_mapped_bytes()) }
}
