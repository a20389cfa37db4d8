#include "saetrack_support.h"

// The per-feature loop of SparseBackward.accumulate in 8-lane AVX: exactly the operations of the
// Swift loop (SIMDMath.dot / axpy: dot's two 8-lane partial sums reduced lane by lane in
// order, every multiply and add rounded separately), so the result is the same bit for bit.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx"))) static inline float lane_sum(__m256 v) {
    float l[8];
    _mm256_storeu_ps(l, v);
    float s = -0.0f;                                    // Swift's SIMD.sum(): -0 + l0 + l1 + … in order
    for (int t = 0; t < 8; t++) s += l[t];
    return s;
}

__attribute__((target("avx"))) static inline float dot_avx(const float *a, const float *b, size_t n) {
    __m256 p = _mm256_setzero_ps(), q = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        p = _mm256_add_ps(p, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
        q = _mm256_add_ps(q, _mm256_mul_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8)));
    }
    float s = lane_sum(_mm256_add_ps(p, q));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/// y[j] += a[0]·x[0][j], then a[1]·x[1][j], … (m ≤ 4 rows, in order, each step rounded).
__attribute__((target("avx"))) static inline void axpy_rows(const float *a, const float *const *x, int m,
                                                            float *y, size_t n) {
    size_t j = 0;
    if (m == 4) {
        const __m256 s0 = _mm256_set1_ps(a[0]), s1 = _mm256_set1_ps(a[1]), s2 = _mm256_set1_ps(a[2]), s3 = _mm256_set1_ps(a[3]);
        for (; j + 8 <= n; j += 8) {
            __m256 v = _mm256_loadu_ps(y + j);
            v = _mm256_add_ps(v, _mm256_mul_ps(s0, _mm256_loadu_ps(x[0] + j)));
            v = _mm256_add_ps(v, _mm256_mul_ps(s1, _mm256_loadu_ps(x[1] + j)));
            v = _mm256_add_ps(v, _mm256_mul_ps(s2, _mm256_loadu_ps(x[2] + j)));
            v = _mm256_add_ps(v, _mm256_mul_ps(s3, _mm256_loadu_ps(x[3] + j)));
            _mm256_storeu_ps(y + j, v);
        }
    } else {
        for (; j + 8 <= n; j += 8) {
            __m256 v = _mm256_loadu_ps(y + j);
            for (int t = 0; t < m; t++) v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(a[t]), _mm256_loadu_ps(x[t] + j)));
            _mm256_storeu_ps(y + j, v);
        }
    }
    for (; j < n; j++) {
        float v = y[j];
        for (int t = 0; t < m; t++) v += a[t] * x[t][j];
        y[j] = v;
    }
}

__attribute__((target("avx"))) static float feature_avx(const float *y, const float *x, const float *w, size_t d,
                                                        const int32_t *rows, const int32_t *entries,
                                                        const float *values, size_t count, float c,
                                                        float *g_dec, float *g_enc, float *dpre) {
    float bias = 0;
    for (size_t k = 0; k < count; k += 4) {
        int m = count - k < 4 ? (int)(count - k) : 4;
        // The next group's rows are random in the batch: ask for them now, while this group computes.
        for (size_t t = k + 4; t < k + 8 && t < count; t++) {
            const char *yn = (const char *)(y + (size_t)rows[t] * d), *xn = (const char *)(x + (size_t)rows[t] * d);
            for (size_t o = 0; o < d * sizeof(float); o += 64) {
                _mm_prefetch(yn + o, _MM_HINT_T0);
                _mm_prefetch(xn + o, _MM_HINT_T0);
            }
        }
        const float *yr[4], *xr[4];
        float a[4], df[4];
        for (int t = 0; t < m; t++) {
            yr[t] = y + (size_t)rows[k + t] * d;
            xr[t] = x + (size_t)rows[k + t] * d;
            a[t] = values[entries[k + t]];
            df[t] = dot_avx(yr[t], w, d) + c;
        }
        axpy_rows(a, yr, m, g_dec, d);
        axpy_rows(df, xr, m, g_enc, d);
        for (int t = 0; t < m; t++) {
            bias += df[t];
            if (dpre) dpre[entries[k + t]] = df[t];
        }
    }
    return bias;
}

int saetrack_has_avx(void) { return __builtin_cpu_supports("avx") ? 1 : 0; }

float saetrack_sparse_backward_feature(const float *y, const float *x, const float *w, size_t d,
                                       const int32_t *rows, const int32_t *entries, const float *values,
                                       size_t count, float c, float *g_dec, float *g_enc, float *dpre) {
    return feature_avx(y, x, w, d, rows, entries, values, count, c, g_dec, g_enc, dpre);
}
#else
int saetrack_has_avx(void) { return 0; }

float saetrack_sparse_backward_feature(const float *y, const float *x, const float *w, size_t d,
                                       const int32_t *rows, const int32_t *entries, const float *values,
                                       size_t count, float c, float *g_dec, float *g_enc, float *dpre) {
    (void)y; (void)x; (void)w; (void)d; (void)rows; (void)entries; (void)values; (void)count; (void)c;
    (void)g_dec; (void)g_enc; (void)dpre;
    return 0;                                          // never called: saetrack_has_avx() is 0
}
#endif
