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
// FMA peak. Two FMA pipes with 4-cycle latency need at least 8 independent chains to stay full;
// 12 accumulators leave headroom and still fit the 16 ymm registers with the two operands.

enum { FMA_ACCUMULATORS = 12, FMA_LANES = 8 };

int cgemm_bench_fma_flops_per_iteration(void) { return FMA_ACCUMULATORS * FMA_LANES * 2; }

__attribute__((target("avx2,fma"))) static float fma_loop(long iterations) {
    __m256 acc[FMA_ACCUMULATORS];
    for (int i = 0; i < FMA_ACCUMULATORS; i++) acc[i] = _mm256_set1_ps(0.001f * (float)i);
    const __m256 mul = _mm256_set1_ps(0.999999f);
    const __m256 add = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++) {
        // acc = acc * mul + add: a dependency chain per accumulator, all chains independent.
        acc[0] = _mm256_fmadd_ps(acc[0], mul, add);
        acc[1] = _mm256_fmadd_ps(acc[1], mul, add);
        acc[2] = _mm256_fmadd_ps(acc[2], mul, add);
        acc[3] = _mm256_fmadd_ps(acc[3], mul, add);
        acc[4] = _mm256_fmadd_ps(acc[4], mul, add);
        acc[5] = _mm256_fmadd_ps(acc[5], mul, add);
        acc[6] = _mm256_fmadd_ps(acc[6], mul, add);
        acc[7] = _mm256_fmadd_ps(acc[7], mul, add);
        acc[8] = _mm256_fmadd_ps(acc[8], mul, add);
        acc[9] = _mm256_fmadd_ps(acc[9], mul, add);
        acc[10] = _mm256_fmadd_ps(acc[10], mul, add);
        acc[11] = _mm256_fmadd_ps(acc[11], mul, add);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < FMA_ACCUMULATORS; i++) sum = _mm256_add_ps(sum, acc[i]);
    float out[FMA_LANES];
    _mm256_storeu_ps(out, sum);
    float total = 0;
    for (int i = 0; i < FMA_LANES; i++) total += out[i];
    return total;
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
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return -1;
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
