#include "saetrack_support.h"
#include <math.h>

// Per-row top-k selection for the SAE encoders (TopKRows.swift). The order is total and does not
// depend on how the candidates arrive: (value, id) comes first when its value is larger, or equal
// with a smaller id. Each row keeps a buffer of candidates and a threshold, the k-th kept value
// after the last prune; an offer is admitted only when it beats the threshold (ids come in
// increasing order, so an equal value loses its tie). A full buffer is pruned to its k first by
// quickselect. NaN and −∞ are never admitted. A row's threshold starts at its floor (−∞, or 0
// when only positive values are wanted).

static inline int comes_first(float av, int32_t ai, float bv, int32_t bi) {
    return av > bv || (av == bv && ai < bi);
}

/// Moves the k first of (v, id)[0..<n] to the front (in no particular order).
static void select_first(float *v, int32_t *id, ptrdiff_t n, ptrdiff_t k) {
    if (k <= 0 || k >= n) return;
    ptrdiff_t lo = 0, hi = n - 1;
    const ptrdiff_t target = k - 1;
    while (lo < hi) {
        const ptrdiff_t mid = lo + (hi - lo) / 2;
        const float pv = v[mid];
        const int32_t pi = id[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (comes_first(v[i], id[i], pv, pi)) i++;
            while (comes_first(pv, pi, v[j], id[j])) j--;
            if (i <= j) {
                float tv = v[i]; v[i] = v[j]; v[j] = tv;
                int32_t ti = id[i]; id[i] = id[j]; id[j] = ti;
                i++; j--;
            }
        }
        if (target <= j) hi = j;
        else if (target >= i) lo = i;
        else return;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// The lanes of x selected by m, packed, to dst[0..<popcount(m)]. Compressing into a register and
// writing the packed lanes with a masked store is the same result as a compress store to memory
// (vcompressps m512{k}), which Zen 4 runs as microcode at tens of cycles each: there it took three
// quarters of the TopK scan's and the selection's time. Masked-off lanes are neither written nor
// faulted on, so dst needs room for popcount(m) values only.
__attribute__((target("avx512f"))) static inline void store_packed_ps(float *dst, __mmask16 m, __m512 x) {
    const __mmask16 head = (__mmask16)((1u << __builtin_popcount(m)) - 1);
    _mm512_mask_storeu_ps(dst, head, _mm512_maskz_compress_ps(m, x));
}

__attribute__((target("avx512f"))) static inline void store_packed_epi32(int32_t *dst, __mmask16 m, __m512i x) {
    const __mmask16 head = (__mmask16)((1u << __builtin_popcount(m)) - 1);
    _mm512_mask_storeu_epi32(dst, head, _mm512_maskz_compress_epi32(m, x));
}

/// select_first without data-dependent branches per element: each pass splits the candidates by a
/// median-of-three pivot with packed (compressed) stores (the part that comes first, the pivot included, in
/// place; the rest through `sv` / `si`, room for n), then continues in the side holding the k-th.
__attribute__((target("avx512f"))) static void select_first_avx512(float *v, int32_t *id, ptrdiff_t n, ptrdiff_t k,
                                                                   float *sv, int32_t *si) {
    while (n > k && k > 0) {
        if (n < 48) { select_first(v, id, n, k); return; }
        ptrdiff_t a = 0, b = n / 2, c = n - 1;          // median of three (never the last of the three in order)
        if (comes_first(v[b], id[b], v[a], id[a])) { ptrdiff_t t = a; a = b; b = t; }
        if (comes_first(v[c], id[c], v[b], id[b])) {
            b = c;
            if (comes_first(v[b], id[b], v[a], id[a])) b = a;
        }
        const float pv = v[b];
        const int32_t pi = id[b];
        const __m512 pvv = _mm512_set1_ps(pv);
        const __m512i piv = _mm512_set1_epi32(pi);
        ptrdiff_t left = 0, right = 0;
        for (ptrdiff_t j = 0; j < n; j += 16) {
            const ptrdiff_t rem = n - j;
            const __mmask16 live = rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1);
            const __m512 x = _mm512_maskz_loadu_ps(live, v + j);
            const __m512i xi = _mm512_maskz_loadu_epi32(live, id + j);
            const __mmask16 gt = _mm512_cmp_ps_mask(x, pvv, _CMP_GT_OQ);
            const __mmask16 eq = _mm512_cmp_ps_mask(x, pvv, _CMP_EQ_OQ);
            const __mmask16 le = _mm512_cmp_epi32_mask(xi, piv, _MM_CMPINT_LE);
            const __mmask16 first = (gt | (eq & le)) & live, rest = ~first & live;
            store_packed_ps(v + left, first, x);                      // left ≤ j: only lanes already loaded
            store_packed_epi32(id + left, first, xi);
            store_packed_ps(sv + right, rest, x);
            store_packed_epi32(si + right, rest, xi);
            left += __builtin_popcount(first); right += __builtin_popcount(rest);
        }
        for (ptrdiff_t t = 0; t < right; t++) { v[left + t] = sv[t]; id[left + t] = si[t]; }
        if (left == k) return;
        if (left > k) { n = left; continue; }
        v += left; id += left; n -= left; k -= left;
    }
}
#endif

static int use_avx512(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return cached && !saetrack_portable_vector_math();   // the per-thread portable switch covers selection too
#else
    return 0;
#endif
}

/// Prunes row r to its k first and raises its threshold to the k-th value.
static void prune(const saetrack_topk_rows *s, size_t r) {
    float *v = s->values + r * (size_t)s->capacity;
    int32_t *id = s->ids + r * (size_t)s->capacity;
    const int32_t n = s->count[r], k = s->k;
    if (n < k) return;
#if defined(__x86_64__)
    if (use_avx512()) select_first_avx512(v, id, n, k, s->scratch_values, s->scratch_ids);
    else select_first(v, id, n, k);
#else
    select_first(v, id, n, k);
#endif
    float m = v[0];
    for (int32_t t = 1; t < k; t++) if (v[t] < m) m = v[t];
    s->count[r] = k;
    s->threshold[r] = m;
}

void saetrack_topk_reset(const saetrack_topk_rows *s, size_t rows, float floor_value) {
    for (size_t r = 0; r < rows; r++) { s->count[r] = 0; s->threshold[r] = floor_value; }
}

void saetrack_topk_offer(const saetrack_topk_rows *s, size_t r, float value, int32_t id) {
    if (s->k <= 0 || !(value > s->threshold[r])) return;
    const size_t base = r * (size_t)s->capacity;
    int32_t n = s->count[r];
    s->values[base + n] = value; s->ids[base + n] = id;
    s->count[r] = ++n;
    if (n == s->capacity) prune(s, r);
}

static void scan_scalar(const saetrack_topk_rows *s, size_t r, const float *pre, const float *bias,
                        int32_t first, size_t n) {
    for (size_t j = 0; j < n; j++) saetrack_topk_offer(s, r, pre[j] + bias[j], first + (int32_t)j);
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void scan_avx512(const saetrack_topk_rows *s, size_t r, const float *pre,
                                                           const float *bias, int32_t first, size_t n) {
    const size_t base = r * (size_t)s->capacity;
    float *vals = s->values + base;
    int32_t *ids = s->ids + base;
    int32_t count = s->count[r];
    const size_t groups = n / 16, sets = ((size_t)s->k + 15) / 16;
    if (count == 0 && groups >= 2 * sets) {
        // An empty row's first scan: the lane-wise maxima of `sets` disjoint runs of vectors are
        // 16·sets ≥ k values, each the largest of its own entries, so at least k entries reach
        // their minimum and the row's k first all do. Admitting v ≥ that bound loses nothing.
        // NaN counts as −∞ (max_ps returns its second operand when either is NaN): a NaN that
        // reached a run's maximum would drop that run from the minimum and raise the bound.
        // The bound only ever raises the threshold (an empty row may already have a floor).
        const size_t per = groups / sets;
        const __m512 ninf = _mm512_set1_ps(-INFINITY);
        __m512 low = _mm512_set1_ps(INFINITY);
        for (size_t g = 0; g < sets; g++) {
            __m512 mx = ninf;
            for (size_t t = g * per; t < (g + 1) * per; t++) {
                const __m512 v = _mm512_add_ps(_mm512_loadu_ps(pre + 16 * t), _mm512_loadu_ps(bias + 16 * t));
                mx = _mm512_max_ps(mx, _mm512_max_ps(v, ninf));
            }
            low = _mm512_min_ps(low, mx);
        }
        const float bound = _mm512_reduce_min_ps(low);
        if (bound == bound && bound > -INFINITY) {
            const float below = nextafterf(bound, -INFINITY);
            if (below > s->threshold[r]) s->threshold[r] = below;
        }
    }
    __m512 thr = _mm512_set1_ps(s->threshold[r]);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m512 v = _mm512_add_ps(_mm512_loadu_ps(pre + j), _mm512_loadu_ps(bias + j));
        const __mmask16 hit = _mm512_cmp_ps_mask(v, thr, _CMP_GT_OQ);
        if (hit) {
            const __m512i id = _mm512_add_epi32(lane, _mm512_set1_epi32(first + (int32_t)j));
            store_packed_ps(vals + count, hit, v);
            store_packed_epi32(ids + count, hit, id);
            count += __builtin_popcount(hit);
            if (count > s->capacity - 16) {               // room for the next 16 lanes
                s->count[r] = count;
                prune(s, r);
                count = s->count[r];
                thr = _mm512_set1_ps(s->threshold[r]);
            }
        }
    }
    s->count[r] = count;
    if (j < n) scan_scalar(s, r, pre + j, bias + j, first + (int32_t)j, n - j);
}
#endif

void saetrack_topk_scan(const saetrack_topk_rows *s, size_t r, const float *pre, const float *bias,
                        int32_t first, size_t n) {
    if (s->k <= 0) return;
#if defined(__x86_64__)
    if (use_avx512() && s->capacity >= 32) { scan_avx512(s, r, pre, bias, first, n); return; }
#endif
    scan_scalar(s, r, pre, bias, first, n);
}

size_t saetrack_topk_finish(const saetrack_topk_rows *s, size_t r, int positive_only, int32_t *out_ids,
                            float *out_values) {
    if (s->k <= 0) return 0;
    prune(s, r);
    const size_t base = r * (size_t)s->capacity;
    const float *v = s->values + base;
    const int32_t *id = s->ids + base;
    size_t n = 0;
    for (int32_t t = 0; t < s->count[r]; t++) {
        const float x = v[t];
        if (positive_only && !(x > 0)) continue;
        const int32_t i = id[t];
        size_t c = n;                                       // insertion sort by id (k is small)
        while (c > 0 && out_ids[c - 1] > i) { out_ids[c] = out_ids[c - 1]; out_values[c] = out_values[c - 1]; c--; }
        out_ids[c] = i; out_values[c] = x;
        n++;
    }
    return n;
}
