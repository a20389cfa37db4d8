#ifndef SAETRACK_ATTENTION_H
#define SAETRACK_ATTENTION_H

// Causal attention for one (sequence, head) pair, with register-blocked AVX2 + FMA products that
// skip the masked triangle: one call per pair instead of a dozen small sgemm calls, each of which
// packs its operands and runs the edge cases of a kernel tuned for large matrices.
//
// Both functions return 0 without touching anything when this CPU or thread does not run the
// AVX2 + FMA forms (`saetrack_has_avx2_fma`, which honours `saetrack_set_portable_vector_math`)
// or when scratch memory cannot be had; the caller then runs its portable (BLAS) path.

#include <stddef.h>

/// Forward: p = softmax_causal(scale · q kᵀ), y = p v.
///   q, k, v: (T, hd), row stride ld (the pair's columns of a fused (T, 3C) projection);
///   p: (T, T) written, row stride T: the probabilities, exactly 0 above the diagonal;
///   y: (T, hd) written, row stride ldy.
/// Returns 1 when done.
int saetrack_attention_forward(const float *q, const float *k, const float *v, size_t ld,
                               size_t T, size_t hd, float scale, float *p, float *y, size_t ldy);

/// Backward of `saetrack_attention_forward` given its p:
///   dP = dY vᵀ,  dv = pᵀ dY,  dS = scale · p ⊙ (dP − rowsum(dP ⊙ p)),  dq = dS k,  dk = dSᵀ q.
///   dy: (T, hd), row stride lddy; ds: (T, T) scratch, overwritten with dS (0 above the diagonal);
///   dq, dk, dv: (T, hd) written, row stride ld.
/// Returns 1 when done.
int saetrack_attention_backward(const float *q, const float *k, const float *v, size_t ld,
                                const float *p, const float *dy, size_t lddy, size_t T, size_t hd,
                                float scale, float *ds, float *dq, float *dk, float *dv);

#endif
