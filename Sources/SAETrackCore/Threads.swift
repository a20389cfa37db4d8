import COpenBLAS
import Foundation

/// The one place that controls threads.
///
/// OpenBLAS's pool and SAETrack's row-parallel kernels share one budget, read once from
/// `SAETRACK_THREADS` (default: active processor count). Row-parallel kernels never call BLAS
/// from inside a parallel region with more than one BLAS thread, so they never oversubscribe.
public enum Threads {
    nonisolated(unsafe) private static var _count: Int = {
        let env = ProcessInfo.processInfo.environment["SAETRACK_THREADS"].flatMap { Int($0) }
        let n = max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(Int32(n))
        return n
    }()

    /// Number of threads used by BLAS and by ``Parallel``.
    public static var count: Int { _count }

    /// Sets the thread budget for BLAS and the row-parallel kernels.
    public static func set(_ n: Int) {
        _count = max(1, n)
        openblas_set_num_threads(Int32(_count))
    }

    /// OpenBLAS's current thread count (for reports).
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS build configuration string.
    public static var blasConfig: String { String(cString: openblas_get_config()) }
}

/// Row-parallel loops over a fixed chunking, so results do not depend on scheduling.
public enum Parallel {
    /// Calls `body(range)` for contiguous chunks covering `0..<n`, on up to ``Threads/count`` threads.
    /// Chunks are at least `minChunk` long; with one thread or a small `n` it runs inline.
    public static func forEachChunk(_ n: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let threads = min(Threads.count, max(1, n / max(minChunk, 1)))
        if threads <= 1 { body(0..<n); return }
        let chunk = (n + threads - 1) / threads
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = t * chunk
            let hi = min(n, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }
}
