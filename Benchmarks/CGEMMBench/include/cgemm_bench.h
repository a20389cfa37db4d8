#ifndef SAETRACK_CGEMM_BENCH_H
#define SAETRACK_CGEMM_BENCH_H

/// Calls cblas_sgemm (row-major, C = A·op(B)) `repeats` times from C and returns the seconds taken.
/// A is (m, k), B is (k, n) or (n, k) when transB != 0, C is (m, n).
double cgemm_bench_sgemm(int m, int n, int k, int transA, int transB, const float *a, const float *b,
                         float *c, int repeats);

#endif
