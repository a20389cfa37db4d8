#include "saetrack_adamw.h"
#include "saetrack_support.h"

// AdamW's update as one pass over parameters, gradients and moments (see saetrack_adamw.h). No
// contraction anywhere: each operation rounds on its own, as in the scalar formula.
#pragma STDC FP_CONTRACT OFF

static void adamw_scalar(float *p, const float *g, float *m, float *v, size_t n, float gscale, float decay,
                         float b1, float omb1, float b2, float omb2, float step_size, float bc2_sqrt, float eps) {
    for (size_t i = 0; i < n; i++) {
        const float gi = g[i] * gscale;
        const float pi = p[i] * decay;
        const float mi = b1 * m[i] + omb1 * gi;
        const float vi = b2 * v[i] + omb2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - step_size * mi / (__builtin_sqrtf(vi) / bc2_sqrt + eps);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx")))
static void adamw_avx(float *p, const float *g, float *m, float *v, size_t n, float gscale, float decay,
                      float b1, float omb1, float b2, float omb2, float step_size, float bc2_sqrt, float eps) {
    const __m256 gs = _mm256_set1_ps(gscale), dc = _mm256_set1_ps(decay), B1 = _mm256_set1_ps(b1);
    const __m256 OMB1 = _mm256_set1_ps(omb1), B2 = _mm256_set1_ps(b2), OMB2 = _mm256_set1_ps(omb2);
    const __m256 ss = _mm256_set1_ps(step_size), bc = _mm256_set1_ps(bc2_sqrt), ep = _mm256_set1_ps(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), gs);
        const __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), dc);
        const __m256 mi = _mm256_add_ps(_mm256_mul_ps(B1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(OMB1, gi));
        const __m256 vi = _mm256_add_ps(_mm256_mul_ps(B2, _mm256_loadu_ps(v + i)),
                                        _mm256_mul_ps(_mm256_mul_ps(OMB2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc), ep);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(ss, mi), denom)));
    }
    adamw_scalar(p + i, g + i, m + i, v + i, n - i, gscale, decay, b1, omb1, b2, omb2, step_size, bc2_sqrt, eps);
}
#endif

void saetrack_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                           float decay, float b1, float omb1, float b2, float omb2, float step_size,
                           float bc2_sqrt, float eps) {
#if defined(__x86_64__)
    if (saetrack_has_avx()) {
        adamw_avx(p, g, m, v, n, gscale, decay, b1, omb1, b2, omb2, step_size, bc2_sqrt, eps);
        return;
    }
#endif
    adamw_scalar(p, g, m, v, n, gscale, decay, b1, omb1, b2, omb2, step_size, bc2_sqrt, eps);
}
