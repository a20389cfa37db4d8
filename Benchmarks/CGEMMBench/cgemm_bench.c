#include "cgemm_bench.h"
#include <cblas.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cgemm_bench_sgemm(int m, int n, int k, int transA, int transB, const float *a, const float *b,
                         float *c, int repeats) {
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    double t0 = now_seconds();
    for (int r = 0; r < repeats; r++) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    }
    return now_seconds() - t0;
}
