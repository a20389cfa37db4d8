#include "saetrack_support.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx"))) static void stream_copy_avx(float *dst, const float *src, size_t n) {
    size_t i = 0;
    // Head: plain stores up to a 32-byte boundary of dst.
    while (i < n && ((uintptr_t)(dst + i) & 31) != 0) { dst[i] = src[i]; i++; }
    for (; i + 8 <= n; i += 8) _mm256_stream_ps(dst + i, _mm256_loadu_ps(src + i));
    for (; i < n; i++) dst[i] = src[i];
    _mm_sfence();
}

void saetrack_stream_copy(float *dst, const float *src, size_t n) {
    if (__builtin_cpu_supports("avx")) stream_copy_avx(dst, src, n);
    else memcpy(dst, src, n * sizeof(float));
}
#else
void saetrack_stream_copy(float *dst, const float *src, size_t n) { memcpy(dst, src, n * sizeof(float)); }
#endif
