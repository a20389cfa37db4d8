#ifndef SAETRACK_SUPPORT_H
#define SAETRACK_SUPPORT_H

// Small C helpers for what Swift cannot say directly: glibc allocator settings, non-temporal
// (cache-bypassing) stores, and row kernels built for AVX2 + FMA (or AVX) and chosen at run time.

#include <stddef.h>
#include <stdint.h>

/// Allocator settings for the saetrack executable (glibc only).
///
/// A forward pass allocates and frees the same few activation-sized buffers (a few MB each) in
/// every layer. By default glibc hands such blocks back to the kernel on free (mmap, or trimming
/// the heap top), so the next allocation pays page faults and page zeroing again. This keeps
/// blocks up to 32 MB (glibc's maximum) in the heap and trims the heap only past 1 GB of free space at its top;
/// larger blocks (a 50k-vocabulary logits matrix, an SAE's weights) are still mapped and unmapped.
/// Returns 1 when both settings were accepted, 0 otherwise (or on a non-glibc C library).
int saetrack_keep_freed_buffers(void);

/// dst[0..<n] = src[0..<n] with non-temporal stores where the CPU has AVX (plain copy otherwise):
/// for results written once and read much later (an SAE step's 75 MB gradient rows), so they do
/// not evict the data the rest of the pass keeps reusing from the last-level cache. Followed by a
/// store fence; `dst` needs no particular alignment.
void saetrack_stream_copy(float *dst, const float *src, size_t n);

/// Σ_j exp(scale·x[j] − m) over n elements; with `out`, also writes each exp(scale·x[j] − m) there
/// (`out` may be `x`). 8-lane AVX2 + FMA Cephes exp where the CPU has both (relative error of a few
/// ulp, 0 below −87.3), libm `expf` otherwise.
float saetrack_exp_sum(const float *x, float scale, float m, float *out, size_t n);

/// x[j] ← a·x[j] over n elements.
void saetrack_scale(float *x, float a, size_t n);

/// Exact (erf) GELU over n elements: v = x[j] + bias[j] (bias may be NULL), y[j] = v·Φ(v) and, when
/// `deriv` is not NULL, deriv[j] = Φ(v) + v·φ(v). `y` or `deriv` may be `x` (not both).
void saetrack_gelu_exact(const float *x, const float *bias, float *y, float *deriv, size_t n);

/// 1 when the kernels above run their AVX2 + FMA forms on this CPU and thread.
int saetrack_has_avx2_fma(void);

/// With `on` != 0, the kernels above run their portable (libm) forms on the calling thread only,
/// whatever the CPU has; 0 restores the CPU's choice. Returns the previous setting, to restore it.
/// For tests of the fallback path; `SIMDMath.withKernelForm` wraps it (and carries it into `Parallel`).
int saetrack_set_portable_vector_math(int on);

/// The calling thread's setting of `saetrack_set_portable_vector_math` (1: portable forced).
int saetrack_portable_vector_math(void);

/// 1 when the CPU runs AVX (the kernels below may be called), else 0.
int saetrack_has_avx(void);

/// One feature i of the sparse backward (SparseBackward.accumulate), AVX only (check
/// saetrack_has_avx first): for its `count` entries k, in order, with r = rows[k], e = entries[k],
///   df = Y[r]·w + c;  g_dec += values[e]·Y[r];  g_enc += df·X[r];  dpre[e] = df (if dpre);
/// returns Σ df in entry order. The same float operations in the same order as the Swift loop.
float saetrack_sparse_backward_feature(const float *y, const float *x, const float *w, size_t d,
                                       const int32_t *rows, const int32_t *entries, const float *values,
                                       size_t count, float c, float *g_dec, float *g_enc, float *dpre);

#endif
