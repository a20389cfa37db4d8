import COpenBLAS
import SAETrackCore

/// Runs BLAS single-threaded for the duration of a row-parallel region, so each of
/// ``Parallel``'s threads calls its own small GEMMs without oversubscribing the cores.
enum BLASThreads {
    /// Calls `body` with OpenBLAS limited to one thread, then restores ``Threads/count``.
    static func singleThreaded(_ body: () -> Void) {
        let n = Threads.count
        if n <= 1 { body(); return }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(n)) }
        body()
    }
}
