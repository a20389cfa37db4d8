#ifndef SAETRACK_SUPPORT_H
#define SAETRACK_SUPPORT_H

// Small C helpers for what Swift cannot say directly: glibc allocator settings, non-temporal
// (cache-bypassing) stores, and row kernels built for AVX2 + FMA (or AVX) and chosen at run time.

#include <stddef.h>
#include <stdint.h>
#include "saetrack_attention.h"   // causal attention per (sequence, head) pair
#include "saetrack_adamw.h"       // the LM optimizer's update

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

/// With `on` != 0, the kernels above (and the top-k selection of topk_select.c) run their portable
/// forms on the calling thread only, whatever the CPU has; 0 restores the CPU's choice. Returns the previous setting, to restore it.
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

/// Per-row top-k state for the SAE encoders' TopK and AuxK selections (`TopKRows`): `rows` rows of
/// `capacity` (≥ k + 16) candidate slots each, in flat arrays the caller owns.
///
/// The selection is exact and defined without reference to the algorithm: each row keeps its `k`
/// first offers in the order "larger value first; equal values: smaller id first", NaN and −∞
/// never kept, and, when the rows were reset with a floor, no value ≤ the floor either. Offers to
/// a row must come in increasing id order.
typedef struct {
    float *values;          ///< rows · capacity
    int32_t *ids;           ///< rows · capacity
    int32_t *count;         ///< rows
    float *threshold;       ///< rows
    float *scratch_values;  ///< capacity (one per thread: a prune's workspace)
    int32_t *scratch_ids;   ///< capacity
    int32_t k;
    int32_t capacity;
} saetrack_topk_rows;

/// Empties rows 0..<rows; offers ≤ `floor_value` will never be kept (−∞: none refused). With floor 0 and
/// positive_only at the finish, a row keeps exactly the positive values among its k first offers:
/// when fewer than k offers are positive they are all kept (they come first), and the rest were
/// never wanted. Refusing them from the start saves buffering and pruning them.
void saetrack_topk_reset(const saetrack_topk_rows *s, size_t rows, float floor_value);
/// Offers (value, id) to row r.
void saetrack_topk_offer(const saetrack_topk_rows *s, size_t r, float value, int32_t id);
/// Offers pre[j] + bias[j] as id first + j for j < n to row r (16 lanes at a time with AVX-512).
void saetrack_topk_scan(const saetrack_topk_rows *s, size_t r, const float *pre, const float *bias,
                        int32_t first, size_t n);
/// Row r's kept entries (only values > 0 when positive_only) by increasing id into out_ids /
/// out_values (room for k each); returns how many.
size_t saetrack_topk_finish(const saetrack_topk_rows *s, size_t r, int positive_only, int32_t *out_ids,
                            float *out_values);

#endif
