import COpenBLAS
import SAETrackCore

/// Row-parallel loops whose bodies call BLAS: OpenBLAS is held to one thread for the duration, so
/// the ``Threads/count`` workers each run single-threaded BLAS and the cores are never oversubscribed.
enum ParallelBLASRegion {
    /// ``Parallel/forEachChunk(_:minChunk:_:)`` with single-threaded OpenBLAS inside.
    static func forEachChunk(_ n: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = Threads.count
        if threads > 1 { openblas_set_num_threads(1) }
        defer { if threads > 1 { openblas_set_num_threads(Int32(threads)) } }
        Parallel.forEachChunk(n, minChunk: minChunk, body)
    }
}
