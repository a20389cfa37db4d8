#ifndef SAETRACK_ADAMW_H
#define SAETRACK_ADAMW_H

#include <stddef.h>

/// One AdamW update of n parameters, the gradient clip's scale folded in (AdamW.step):
///   ĝ = g·gscale;  p ← p·decay;  m ← b1·m + omb1·ĝ;  v ← b2·v + (omb2·ĝ)·ĝ;
///   p ← p − (step_size·m) / (√v / bc2_sqrt + eps)
/// with every product, quotient and sum rounded separately in that order (no fused multiply-add),
/// so the result is bit for bit that of the scalar formula; 8 lanes where the CPU has AVX.
/// `g` is only read.
void saetrack_adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                           float decay, float b1, float omb1, float b2, float omb2, float step_size,
                           float bc2_sqrt, float eps);

#endif
