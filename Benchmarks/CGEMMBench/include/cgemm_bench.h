#ifndef SAETRACK_CGEMM_BENCH_H
#define SAETRACK_CGEMM_BENCH_H

/// The C baselines for `saetrack bench gemm`: the same OpenBLAS sgemm called directly from C, and
/// the machine's FP32 FMA peak measured with a register-only loop.

/// Calls cblas_sgemm (row-major, C = op(A)·op(B)) `repeats` times from C with OpenBLAS's own pool
/// set to `threads` threads, and returns the wall-clock seconds taken; `cpu_seconds` (may be NULL)
/// receives the process CPU time over the same span. Afterwards OpenBLAS is set back to one thread
/// (SAETrack's setting) and, after a threaded run, the call waits 150 ms so OpenBLAS's workers stop
/// spinning before anything else is timed.
/// op(A) is (m, k): A is (m, k), or (k, m) when transA != 0. op(B) is (k, n): B is (k, n), or (n, k)
/// when transB != 0. C is (m, n). All operands are packed (leading dimension = width).
double cgemm_bench_sgemm(int m, int n, int k, int transA, int transB, const float *a, const float *b,
                         float *c, int repeats, int threads, double *cpu_seconds);

/// Runs `iterations` iterations of an AVX2 FMA loop (12 independent 8-lane accumulators, i.e.
/// 192 FP32 FLOPs per iteration) on each of `threads` threads started together, and returns the
/// achieved GFLOP/s summed over threads (wall-clock time from the common start to the last finish).
/// `cpu_gflops` (may be NULL) receives the mean over threads of FLOPs / that thread's CPU time: the
/// per-core rate while a thread actually holds a core, which other load on the machine barely moves.
/// Returns a negative value when the CPU lacks AVX2/FMA or a thread cannot be started.
double cgemm_bench_fma_peak(int threads, long iterations, double *cpu_gflops);

/// FP32 FLOPs done by one thread per iteration of `cgemm_bench_fma_peak`'s loop.
int cgemm_bench_fma_flops_per_iteration(void);

#endif
