#include "saetrack_attention.h"
#include "saetrack_support.h"
#include <stdlib.h>
#include <string.h>

// Causal attention for one (sequence, head) pair (see saetrack_attention.h). Three products, each
// register-blocked as 4 rows × 16 columns (8 accumulators) and each skipping the masked triangle:
//   abt_lower: c[i, j] = α Σ_d a[i, d] b[j, d] for the keys j < i0 + 4 of i's 4-row block
//              (b given transposed and zero-padded, so a key block is two vector loads per d);
//   ab_lower:  c[i, :] = Σ_{j ≤ i} p[i, j] b[j, :]      (p exactly 0 above the diagonal);
//   atb_lower: c[j, :] = Σ_{i ≥ j} p[i, j] b[i, :]      (the same p, transposed).
// A block's rows past the end alias its first row (computed, never stored), so one code path
// serves every T.

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256i lanes(size_t k) {   // lanes 0..<k set (k ≤ 8)
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), idx);
}

// 16 (or w < 16) floats from two vectors.
AVX2 static inline void store16(float *dst, __m256 lo, __m256 hi, size_t w) {
    if (w >= 16) { _mm256_storeu_ps(dst, lo); _mm256_storeu_ps(dst + 8, hi); return; }
    if (w >= 8) {
        _mm256_storeu_ps(dst, lo);
        if (w > 8) _mm256_maskstore_ps(dst + 8, lanes(w - 8), hi);
    } else {
        _mm256_maskstore_ps(dst, lanes(w), lo);
    }
}

AVX2 static inline void load16(const float *src, size_t w, __m256 *lo, __m256 *hi) {
    if (w >= 16) { *lo = _mm256_loadu_ps(src); *hi = _mm256_loadu_ps(src + 8); return; }
    if (w >= 8) {
        *lo = _mm256_loadu_ps(src);
        *hi = w > 8 ? _mm256_maskload_ps(src + 8, lanes(w - 8)) : _mm256_setzero_ps();
    } else {
        *lo = _mm256_maskload_ps(src, lanes(w));
        *hi = _mm256_setzero_ps();
    }
}

// bt (hd, tp) = bᵀ with columns T..<tp zero; tp a multiple of 16.
static void transpose_padded(const float *b, size_t ldb, size_t T, size_t hd, float *bt, size_t tp) {
    for (size_t d = 0; d < hd; d++) {
        float *row = bt + d * tp;
        for (size_t j = 0; j < T; j++) row[j] = b[j * ldb + d];
        for (size_t j = T; j < tp; j++) row[j] = 0;
    }
}

AVX2 static void abt_lower(const float *a, size_t lda, const float *bt, size_t tp, size_t T, size_t hd,
                           float alpha, float *c, size_t ldc) {
    const __m256 al = _mm256_set1_ps(alpha);
    for (size_t i0 = 0; i0 < T; i0 += 4) {
        const size_t nr = T - i0 < 4 ? T - i0 : 4;
        const float *a0 = a + i0 * lda;
        const float *a1 = nr > 1 ? a0 + lda : a0, *a2 = nr > 2 ? a0 + 2 * lda : a0, *a3 = nr > 3 ? a0 + 3 * lda : a0;
        const size_t keys = i0 + nr;
        for (size_t j = 0; j < keys; j += 16) {
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;
            __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            const float *bj = bt + j;
            for (size_t d = 0; d < hd; d++) {
                const __m256 b0 = _mm256_loadu_ps(bj + d * tp), b1 = _mm256_loadu_ps(bj + d * tp + 8);
                __m256 x = _mm256_broadcast_ss(a0 + d);
                c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
                x = _mm256_broadcast_ss(a1 + d);
                c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
                x = _mm256_broadcast_ss(a2 + d);
                c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
                x = _mm256_broadcast_ss(a3 + d);
                c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
            }
            const size_t w = T - j < 16 ? T - j : 16;
            float *cj = c + i0 * ldc + j;
            store16(cj, _mm256_mul_ps(al, c00), _mm256_mul_ps(al, c01), w);
            if (nr > 1) store16(cj + ldc, _mm256_mul_ps(al, c10), _mm256_mul_ps(al, c11), w);
            if (nr > 2) store16(cj + 2 * ldc, _mm256_mul_ps(al, c20), _mm256_mul_ps(al, c21), w);
            if (nr > 3) store16(cj + 3 * ldc, _mm256_mul_ps(al, c30), _mm256_mul_ps(al, c31), w);
        }
    }
}

// The 4-row × 16-column step shared by ab_lower and atb_lower: acc_r += p_r · b over n rows of b,
// p_r read at pr[r] + s·stride_p (broadcast), b at b + s·ldb.
#define ACCUMULATE_4x16(N, P0, P1, P2, P3, PSTRIDE, B, LDB, W)                                    \
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00;                            \
    __m256 c20 = c00, c21 = c00, c30 = c00, c31 = c00;                                            \
    for (size_t s = 0; s < (N); s++) {                                                             \
        __m256 b0, b1;                                                                             \
        if ((W) >= 16) { b0 = _mm256_loadu_ps((B) + s * (LDB)); b1 = _mm256_loadu_ps((B) + s * (LDB) + 8); } \
        else load16((B) + s * (LDB), (W), &b0, &b1);                                               \
        __m256 x = _mm256_broadcast_ss((P0) + s * (PSTRIDE));                                      \
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);                     \
        x = _mm256_broadcast_ss((P1) + s * (PSTRIDE));                                             \
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);                     \
        x = _mm256_broadcast_ss((P2) + s * (PSTRIDE));                                             \
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);                     \
        x = _mm256_broadcast_ss((P3) + s * (PSTRIDE));                                             \
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);                     \
    }

#define STORE_4x16(C, LDC, NR, W)                                                                  \
    store16((C), c00, c01, (W));                                                                   \
    if ((NR) > 1) store16((C) + (LDC), c10, c11, (W));                                             \
    if ((NR) > 2) store16((C) + 2 * (LDC), c20, c21, (W));                                         \
    if ((NR) > 3) store16((C) + 3 * (LDC), c30, c31, (W));

AVX2 static void ab_lower(const float *p, size_t ldp, const float *b, size_t ldb, size_t T, size_t hd,
                          float *c, size_t ldc) {
    for (size_t i0 = 0; i0 < T; i0 += 4) {
        const size_t nr = T - i0 < 4 ? T - i0 : 4;
        const float *p0 = p + i0 * ldp;
        const float *p1 = nr > 1 ? p0 + ldp : p0, *p2 = nr > 2 ? p0 + 2 * ldp : p0, *p3 = nr > 3 ? p0 + 3 * ldp : p0;
        for (size_t c0 = 0; c0 < hd; c0 += 16) {
            const size_t w = hd - c0 < 16 ? hd - c0 : 16;
            ACCUMULATE_4x16(i0 + nr, p0, p1, p2, p3, 1, b + c0, ldb, w)
            STORE_4x16(c + i0 * ldc + c0, ldc, nr, w)
        }
    }
}

AVX2 static void atb_lower(const float *p, size_t ldp, const float *b, size_t ldb, size_t T, size_t hd,
                           float *c, size_t ldc) {
    for (size_t j0 = 0; j0 < T; j0 += 4) {
        const size_t nr = T - j0 < 4 ? T - j0 : 4;
        const float *p0 = p + j0 * ldp + j0;           // column j0 from row i = j0 on
        const float *p1 = nr > 1 ? p0 + 1 : p0, *p2 = nr > 2 ? p0 + 2 : p0, *p3 = nr > 3 ? p0 + 3 : p0;
        for (size_t c0 = 0; c0 < hd; c0 += 16) {
            const size_t w = hd - c0 < 16 ? hd - c0 : 16;
            ACCUMULATE_4x16(T - j0, p0, p1, p2, p3, ldp, b + j0 * ldb + c0, ldb, w)
            STORE_4x16(c + j0 * ldc + c0, ldc, nr, w)
        }
    }
}

AVX2 static float max_avx2(const float *x, size_t n) {
    __m256 m = _mm256_set1_ps(-__builtin_inff());
    size_t j = 0;
    for (; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; j < n; j++) r = x[j] > r ? x[j] : r;
    return r;
}

AVX2 static float dot_avx2(const float *x, const float *y, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(y + j + 8), a1);
    }
    const __m256 a = _mm256_add_ps(a0, a1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float r = _mm_cvtss_f32(h);
    for (; j < n; j++) r += x[j] * y[j];
    return r;
}

AVX2 static void forward_avx2(const float *q, const float *k, const float *v, size_t ld, size_t T, size_t hd,
                              float scale, float *p, float *y, size_t ldy, float *kt, size_t tp) {
    transpose_padded(k, ld, T, hd, kt, tp);
    abt_lower(q, ld, kt, tp, T, hd, scale, p, T);
    // causal softmax of each row over keys 0...i (the scores already carry the scale)
    for (size_t i = 0; i < T; i++) {
        float *row = p + i * T;
        const size_t valid = i + 1;
        const float m = max_avx2(row, valid);
        const float sum = saetrack_exp_sum(row, 1.0f, m, row, valid);
        saetrack_scale(row, 1.0f / sum, valid);
        if (valid < T) memset(row + valid, 0, (T - valid) * sizeof(float));
    }
    ab_lower(p, T, v, ld, T, hd, y, ldy);
}

AVX2 static void backward_avx2(const float *q, const float *k, const float *v, size_t ld, const float *p,
                               const float *dy, size_t lddy, size_t T, size_t hd, float scale, float *ds,
                               float *dq, float *dk, float *dv, float *vt, size_t tp) {
    transpose_padded(v, ld, T, hd, vt, tp);
    abt_lower(dy, lddy, vt, tp, T, hd, 1.0f, ds, T);            // dP (keys past i's block unset)
    atb_lower(p, T, dy, lddy, T, hd, dv, ld);                    // dv = pᵀ dY
    const __m256 s8 = _mm256_set1_ps(scale);
    for (size_t i = 0; i < T; i++) {                             // dS in place of dP
        float *row = ds + i * T;
        const float *pr = p + i * T;
        const size_t valid = i + 1;
        const float dot = dot_avx2(row, pr, valid);
        const __m256 d8 = _mm256_set1_ps(dot);
        size_t j = 0;
        for (; j + 8 <= valid; j += 8) {
            const __m256 g = _mm256_mul_ps(_mm256_mul_ps(s8, _mm256_loadu_ps(pr + j)),
                                           _mm256_sub_ps(_mm256_loadu_ps(row + j), d8));
            _mm256_storeu_ps(row + j, g);
        }
        for (; j < valid; j++) row[j] = scale * pr[j] * (row[j] - dot);
        if (valid < T) memset(row + valid, 0, (T - valid) * sizeof(float));
    }
    ab_lower(ds, T, k, ld, T, hd, dq, ld);                       // dq = dS k
    atb_lower(ds, T, q, ld, T, hd, dk, ld);                      // dk = dSᵀ q
}
#endif

static float *padded_transpose_buffer(size_t T, size_t hd, size_t *tp) {
    *tp = (T + 15) / 16 * 16;
    return malloc(hd * *tp * sizeof(float));
}

int saetrack_attention_forward(const float *q, const float *k, const float *v, size_t ld,
                               size_t T, size_t hd, float scale, float *p, float *y, size_t ldy) {
#if defined(__x86_64__)
    if (!saetrack_has_avx2_fma() || T == 0 || hd == 0) return 0;
    size_t tp;
    float *kt = padded_transpose_buffer(T, hd, &tp);
    if (!kt) return 0;
    forward_avx2(q, k, v, ld, T, hd, scale, p, y, ldy, kt, tp);
    free(kt);
    return 1;
#else
    (void)q; (void)k; (void)v; (void)ld; (void)T; (void)hd; (void)scale; (void)p; (void)y; (void)ldy;
    return 0;
#endif
}

int saetrack_attention_backward(const float *q, const float *k, const float *v, size_t ld,
                                const float *p, const float *dy, size_t lddy, size_t T, size_t hd,
                                float scale, float *ds, float *dq, float *dk, float *dv) {
#if defined(__x86_64__)
    if (!saetrack_has_avx2_fma() || T == 0 || hd == 0) return 0;
    size_t tp;
    float *vt = padded_transpose_buffer(T, hd, &tp);
    if (!vt) return 0;
    backward_avx2(q, k, v, ld, p, dy, lddy, T, hd, scale, ds, dq, dk, dv, vt, tp);
    free(vt);
    return 1;
#else
    (void)q; (void)k; (void)v; (void)ld; (void)p; (void)dy; (void)lddy; (void)T; (void)hd; (void)scale;
    (void)ds; (void)dq; (void)dk; (void)dv;
    return 0;
#endif
}
