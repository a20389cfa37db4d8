#include "cgemm_bench.h"
#include <cblas.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static double clock_seconds(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_seconds(void) { return clock_seconds(CLOCK_MONOTONIC); }

double cgemm_bench_sgemm(int m, int n, int k, int transA, int transB, const float *a, const float *b,
                         float *c, int repeats, int threads, double *cpu_seconds) {
    int lda = transA ? m : k;
    openblas_set_num_threads(threads);
    int ldb = transB ? k : n;
    double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = now_seconds();
    for (int r = 0; r < repeats; r++) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    }
    double wall = now_seconds() - t0;
    if (cpu_seconds) *cpu_seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    openblas_set_num_threads(1);
    if (threads > 1) {
        // OpenBLAS's idle workers spin for ~2^28 cycles before they sleep; let them settle.
        struct timespec pause = {0, 150000000L};
        nanosleep(&pause, NULL);
    }
    return wall;
}

// ---------------------------------------------------------------------------------------------
// FMA peak, with the widest FMA the CPU has. Two FMA pipes with 4-cycle latency need at least 8
// independent chains to stay full. AVX2: 12 ymm accumulators leave headroom and still fit the 16
// ymm registers with the two operands. AVX-512: 24 zmm accumulators of the 32 registers (Zen 5 and
// Intel server cores have two 512-bit FMA pipes; Zen 4 splits each 512-bit FMA into two halves, so
// there the AVX-512 loop measures the same peak as the AVX2 one).

enum { FMA256_ACCUMULATORS = 12, FMA512_ACCUMULATORS = 24 };

int cgemm_bench_fma_lanes(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 16;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 8;
    return 0;
}

int cgemm_bench_fma_flops_per_iteration(void) {
    switch (cgemm_bench_fma_lanes()) {
    case 16: return FMA512_ACCUMULATORS * 16 * 2;
    case 8: return FMA256_ACCUMULATORS * 8 * 2;
    default: return 0;
    }
}

#define FMA_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define FMA_REPEAT24(X) FMA_REPEAT12(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

// acc = acc * mul + add: a dependency chain per accumulator, all chains independent. The
// accumulators are named variables (not an array) so they stay in registers.
__attribute__((target("avx2,fma"))) static float fma_loop_256(long iterations) {
#define FMA_DECLARE(i) __m256 acc##i = _mm256_set1_ps(0.001f * (float)(i));
    FMA_REPEAT12(FMA_DECLARE)
#undef FMA_DECLARE
    const __m256 mul = _mm256_set1_ps(0.999999f);
    const __m256 add = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++) {
#define FMA_STEP(i) acc##i = _mm256_fmadd_ps(acc##i, mul, add);
        FMA_REPEAT12(FMA_STEP)
#undef FMA_STEP
    }
    __m256 sum = _mm256_setzero_ps();
#define FMA_SUM(i) sum = _mm256_add_ps(sum, acc##i);
    FMA_REPEAT12(FMA_SUM)
#undef FMA_SUM
    float out[8];
    _mm256_storeu_ps(out, sum);
    float total = 0;
    for (int i = 0; i < 8; i++) total += out[i];
    return total;
}

__attribute__((target("avx512f"))) static float fma_loop_512(long iterations) {
#define FMA_DECLARE(i) __m512 acc##i = _mm512_set1_ps(0.001f * (float)(i));
    FMA_REPEAT24(FMA_DECLARE)
#undef FMA_DECLARE
    const __m512 mul = _mm512_set1_ps(0.999999f);
    const __m512 add = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++) {
#define FMA_STEP(i) acc##i = _mm512_fmadd_ps(acc##i, mul, add);
        FMA_REPEAT24(FMA_STEP)
#undef FMA_STEP
    }
    __m512 sum = _mm512_setzero_ps();
#define FMA_SUM(i) sum = _mm512_add_ps(sum, acc##i);
    FMA_REPEAT24(FMA_SUM)
#undef FMA_SUM
    return _mm512_reduce_add_ps(sum);
}

static float fma_loop(long iterations) {
    return cgemm_bench_fma_lanes() == 16 ? fma_loop_512(iterations) : fma_loop_256(iterations);
}

typedef struct {
    long iterations;
    atomic_int *go;        // spun on until the common start
    volatile float sink;   // keeps the loop's result alive
    double cpu_seconds;    // this thread's CPU time in the loop
} fma_job;

static void run_fma_job(fma_job *job) {
    double cpu0 = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
    job->sink = fma_loop(job->iterations);
    job->cpu_seconds = clock_seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
}

static void *fma_thread(void *arg) {
    fma_job *job = (fma_job *)arg;
    while (!atomic_load_explicit(job->go, memory_order_acquire)) { }
    run_fma_job(job);
    return NULL;
}

enum { FMA_MAX_THREADS = 256 };

double cgemm_bench_fma_peak(int threads, long iterations, double *cpu_gflops) {
    if (cgemm_bench_fma_lanes() == 0) return -1;
    if (threads < 1) threads = 1;
    if (threads > FMA_MAX_THREADS) threads = FMA_MAX_THREADS;

    pthread_t ids[FMA_MAX_THREADS];
    fma_job jobs[FMA_MAX_THREADS];
    atomic_int go = 0;
    int started = 1;   // the calling thread is thread 0
    for (int t = 0; t < threads; t++) {
        jobs[t].iterations = iterations;
        jobs[t].go = &go;
    }
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&ids[t], NULL, fma_thread, &jobs[t]) != 0) break;
        started++;
    }
    if (started != threads) {
        for (int t = 1; t < started; t++) jobs[t].iterations = 0;
        atomic_store_explicit(&go, 1, memory_order_release);
        for (int t = 1; t < started; t++) pthread_join(ids[t], NULL);
        return -1;
    }
    double t0 = now_seconds();
    atomic_store_explicit(&go, 1, memory_order_release);
    run_fma_job(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(ids[t], NULL);
    double elapsed = now_seconds() - t0;

    double per_thread = (double)iterations * (double)cgemm_bench_fma_flops_per_iteration();
    if (cpu_gflops) {
        double rate = 0;
        for (int t = 0; t < threads; t++) rate += per_thread / jobs[t].cpu_seconds * 1e-9;
        *cpu_gflops = rate / threads;
    }
    return (double)threads * per_thread / elapsed * 1e-9;
}
