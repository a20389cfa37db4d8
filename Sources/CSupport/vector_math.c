#include "saetrack_support.h"
#include <math.h>
#include <stdint.h>

// Row kernels of the LM step compiled for AVX2 + FMA (8 lanes, fused multiply-adds) and chosen at
// run time; every other CPU runs the portable loops at the bottom. Swift's SIMD8 code is built for
// the x86-64 baseline (SSE2: two 4-lane halves, no FMA), which made exp the largest non-GEMM cost.

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

// e^x for 8 lanes: Cephes expf (x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial, 2^n through
// the exponent bits), the same constants as SIMDMath.exp; 0 below -87.3, finite above 88.376.
AVX2 static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(x, _mm256_set1_ps(88.37626f));
    const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
    const __m256 nf = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(nf, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i n = _mm256_cvtps_epi32(nf);
    const __m256 pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, pow2));
}

// erf(x) for 8 lanes: the rational minimax fit of GELU.erf8 (x clamped to [-4, 4]).
AVX2 static inline __m256 erf8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.72614225801306e-10f), _mm256_set1_ps(2.77068142495902e-08f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.10102402082508e-06f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-5.69250639462346e-05f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-7.34990630326855e-04f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.95459980854025e-03f));
    p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-1.60960333262415e-02f));
    __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(-1.45660718464996e-05f), _mm256_set1_ps(-2.13374055278905e-04f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.68282697438203e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-7.37332916720468e-03f));
    q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.42647390514189e-02f));
    return _mm256_div_ps(_mm256_mul_ps(x, p), q);
}

// Lanes 0..<k set (k <= 8), as a mask for the ragged tail.
AVX2 static inline __m256i tail_mask(size_t k) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)k), idx);
}

AVX2 static float exp_sum_avx2(const float *x, float scale, float m, float *out, size_t n) {
    const __m256 s8 = _mm256_set1_ps(scale), m8 = _mm256_set1_ps(m);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m256 e0 = exp8(_mm256_fmsub_ps(s8, _mm256_loadu_ps(x + j), m8));
        const __m256 e1 = exp8(_mm256_fmsub_ps(s8, _mm256_loadu_ps(x + j + 8), m8));
        if (out) { _mm256_storeu_ps(out + j, e0); _mm256_storeu_ps(out + j + 8, e1); }
        a0 = _mm256_add_ps(a0, e0);
        a1 = _mm256_add_ps(a1, e1);
    }
    for (; j < n; j += 8) {
        const size_t k = n - j < 8 ? n - j : 8;
        const __m256i mask = tail_mask(k);
        const __m256 v = _mm256_maskload_ps(x + j, mask);
        const __m256 e = _mm256_and_ps(exp8(_mm256_fmsub_ps(s8, v, m8)), _mm256_castsi256_ps(mask));
        if (out) _mm256_maskstore_ps(out + j, mask, e);
        a0 = _mm256_add_ps(a0, e);
    }
    const __m256 a = _mm256_add_ps(a0, a1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

AVX2 static void scale_avx2(float *x, float a, size_t n) {
    const __m256 a8 = _mm256_set1_ps(a);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), a8));
    for (; j < n; j++) x[j] *= a;
}

AVX2 static void gelu_avx2(const float *x, const float *bias, float *y, float *deriv, size_t n) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 inv_sqrt2 = _mm256_set1_ps(0.7071067811865475f), inv_sqrt2pi = _mm256_set1_ps(0.3989422804014327f);
    for (size_t j = 0; j < n; j += 8) {
        const size_t k = n - j < 8 ? n - j : 8;
        const __m256i mask = tail_mask(k);
        __m256 v = _mm256_maskload_ps(x + j, mask);
        if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + j, mask));
        const __m256 cdf = _mm256_mul_ps(half, _mm256_add_ps(one, erf8(_mm256_mul_ps(v, inv_sqrt2))));
        const __m256 g = _mm256_mul_ps(v, cdf);
        if (deriv) {
            const __m256 pdf = _mm256_mul_ps(inv_sqrt2pi, exp8(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(-0.5f), v), v)));
            const __m256 d = _mm256_fmadd_ps(v, pdf, cdf);
            // y may be x and deriv may be x: both are stored after x's lanes were read
            if (k == 8) _mm256_storeu_ps(deriv + j, d); else _mm256_maskstore_ps(deriv + j, mask, d);
        }
        if (k == 8) _mm256_storeu_ps(y + j, g); else _mm256_maskstore_ps(y + j, mask, g);
    }
}

// Per-thread switch to the portable loops (saetrack_set_portable_vector_math): tests cover the
// fallback on any CPU. Thread-local, so a test that sets it cannot change other threads' results.
static _Thread_local int portable_forced = 0;

static int has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return cached && !portable_forced;
}
#else
static _Thread_local int portable_forced = 0;
static int has_avx2_fma(void) { return 0; }
#endif

int saetrack_set_portable_vector_math(int on) {
    const int previous = portable_forced;
    portable_forced = on != 0;
    return previous;
}

int saetrack_portable_vector_math(void) { return portable_forced; }

// Portable forms (every CPU without AVX2 + FMA): libm exp and erf, the same formulas.
static float exp_sum_portable(const float *x, float scale, float m, float *out, size_t n) {
    float s = 0;
    for (size_t j = 0; j < n; j++) {
        // the argument rounded once, as the AVX2 form's fused multiply-subtract does (a float
        // product and difference lose up to 1e-6 relative in e at |scale·x| ~ 14)
        const float e = expf((float)((double)scale * (double)x[j] - (double)m));
        if (out) out[j] = e;
        s += e;
    }
    return s;
}

float saetrack_exp_sum(const float *x, float scale, float m, float *out, size_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) return exp_sum_avx2(x, scale, m, out, n);
#endif
    return exp_sum_portable(x, scale, m, out, n);
}

void saetrack_scale(float *x, float a, size_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) { scale_avx2(x, a, n); return; }
#endif
    for (size_t j = 0; j < n; j++) x[j] *= a;
}

void saetrack_gelu_exact(const float *x, const float *bias, float *y, float *deriv, size_t n) {
#if defined(__x86_64__)
    if (has_avx2_fma()) { gelu_avx2(x, bias, y, deriv, n); return; }
#endif
    for (size_t j = 0; j < n; j++) {
        const float v = x[j] + (bias ? bias[j] : 0.0f);
        const float cdf = 0.5f * (1.0f + erff(v * 0.7071067811865475f));
        if (deriv) deriv[j] = cdf + v * 0.3989422804014327f * expf(-0.5f * v * v);
        y[j] = v * cdf;
    }
}

int saetrack_has_avx2_fma(void) { return has_avx2_fma(); }
