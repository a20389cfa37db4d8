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

/// Runs `iterations` iterations of an FMA loop with the widest FMA the CPU has (AVX-512: 24
/// independent 16-lane accumulators, 768 FP32 FLOPs per iteration; else AVX2: 12 8-lane
/// accumulators, 192 FLOPs) on each of `threads` threads started together, and returns the
/// achieved GFLOP/s summed over threads (wall-clock time from the common start to the last finish).
/// `cpu_gflops` (may be NULL) receives the mean over threads of FLOPs / that thread's CPU time: the
/// per-core rate while a thread actually holds a core, which other load on the machine barely moves.
/// Returns a negative value when the CPU lacks AVX2/FMA or a thread cannot be started.
double cgemm_bench_fma_peak(int threads, long iterations, double *cpu_gflops);

/// FP32 lanes of the FMA loop `cgemm_bench_fma_peak` runs on this CPU: 16 (AVX-512), 8 (AVX2 +
/// FMA) or 0 (neither: no peak is measured).
int cgemm_bench_fma_lanes(void);

/// FP32 FLOPs done by one thread per iteration of `cgemm_bench_fma_peak`'s loop on this CPU.
int cgemm_bench_fma_flops_per_iteration(void);

#endif
