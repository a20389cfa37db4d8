import COpenBLAS
import CSupport
import Foundation

/// The one place that controls threads.
///
/// SAETrack runs every parallel loop, GEMMs included, on one pool of ``count`` threads. OpenBLAS
/// itself is kept at one thread: ``BLAS/gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` splits a
/// large product into row or column blocks and runs them on ``Parallel``'s threads. OpenBLAS's own
/// pool would otherwise keep a worker spinning in `sched_yield` for ~70 ms after every threaded
/// call, and that worker competes for the cores with the row-parallel kernels that run between
/// GEMMs (up to a fifth of an LM training step on two cores was spent there).
///
/// The budget has two layers:
/// - the **process default**, read once from `SAETRACK_THREADS` (else the active processor count)
///   and changed only by ``setDefault(_:)``, which a command-line tool calls once at start-up;
/// - a **scoped budget**, `withCount(_:_:)`, which holds for the body and everything it calls on
///   the same task or thread, and is gone when the body returns. Concurrent callers (tests run in
///   parallel, two trainers in one process) each see their own budget and cannot race.
public enum Threads {
    nonisolated(unsafe) private static var processDefault: Int = {
        let env = ProcessInfo.processInfo.environment["SAETRACK_THREADS"].flatMap { Int($0) }
        openblas_set_num_threads(1)
        return max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The budget set by the innermost enclosing `withCount(_:_:)`, if any.
    @TaskLocal private static var scoped: Int? = nil

    /// Number of threads used by ``Parallel`` (and so by GEMMs, which are split over it): the
    /// innermost `withCount(_:_:)` budget, else the process default.
    public static var count: Int { scoped ?? processDefault }

    /// Runs `body` with a thread budget of `n` (at least 1) for everything it calls on this task
    /// or thread; the previous budget holds again when `body` returns.
    ///
    /// ```swift
    /// let sae = try Threads.withCount(2) { try trainer.train(on: data) }
    /// ```
    public static func withCount<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        configureBLAS()
        return try $scoped.withValue(max(1, n)) { try body() }
    }

    /// The `async` form of `withCount(_:_:)`.
    public static func withCount<R>(_ n: Int, _ body: () async throws -> R) async rethrows -> R {
        configureBLAS()
        return try await $scoped.withValue(max(1, n)) { try await body() }
    }

    /// Sets the process-wide default budget. Meant for an executable's start-up (a `--threads`
    /// flag); library code and tests use `withCount(_:_:)`, which cannot leak into other callers.
    public static func setDefault(_ n: Int) {
        processDefault = max(1, n)
        openblas_set_num_threads(1)
    }

    /// Makes sure OpenBLAS has been set to one thread (reading the default does it once); every
    /// BLAS and LAPACK wrapper calls this first, so OpenBLAS never starts its own workers.
    @inline(__always)
    static func configureBLAS() { _ = processDefault }

    /// OpenBLAS's current thread count (1 unless something outside SAETrack changed it).
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }

    /// OpenBLAS build configuration string.
    public static var blasConfig: String { String(cString: openblas_get_config()) }
}

/// Row-parallel loops over a fixed chunking, so results do not depend on scheduling.
///
/// A loop started from inside another parallel loop runs inline on the calling thread, so
/// nesting (a GEMM inside a per-head attention loop, say) never oversubscribes the cores.
public enum Parallel {
    /// Calls `body(range)` for contiguous chunks covering `0..<n`, on up to ``Threads/count`` threads.
    /// Chunks are at least `minChunk` long; with one thread, a small `n` or inside another
    /// parallel loop it runs inline.
    public static func forEachChunk(_ n: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let threads = isInsideLoop ? 1 : min(Threads.count, max(1, n / max(minChunk, 1)))
        if threads <= 1 { body(0..<n); return }
        let chunk = (n + threads - 1) / threads
        forEachPart(threads) { t in
            let lo = t * chunk
            let hi = min(n, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(part)` for `part` in `0..<parts`, concurrently, each marked as inside a
    /// parallel loop. Inside another parallel loop the parts run in order on the calling thread.
    public static func forEachPart(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 0 { return }
        if parts == 1 || isInsideLoop { for p in 0..<parts { body(p) }; return }
        let portable = saetrack_portable_vector_math()     // SIMDMath.withKernelForm holds in the workers too
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let outer = pthread_getspecific(insideKey)
            pthread_setspecific(insideKey, insideMarker)
            let outerForm = saetrack_set_portable_vector_math(portable)
            body(p)
            _ = saetrack_set_portable_vector_math(outerForm)
            pthread_setspecific(insideKey, outer)
        }
    }

    /// Whether the calling thread is running the body of a parallel loop.
    public static var isInsideLoop: Bool { pthread_getspecific(insideKey) != nil }

    nonisolated(unsafe) private static let insideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    nonisolated(unsafe) private static let insideMarker = UnsafeMutableRawPointer(bitPattern: 1)!
}
