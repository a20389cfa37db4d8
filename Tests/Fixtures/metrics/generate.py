"""Fixtures for Tests/SAETrackMetricsTests: the metrics computed independently with numpy / scipy.

Rerun (from the repository root):  venv/bin/python Tests/Fixtures/metrics/generate.py
Writes small JSON files next to this script. Matrices are nested lists of float32 values; every
expected value is computed in float64 from those float32 inputs with the formulas of Docs/Method.md
(§7.2 similarity primitive, §7.4 progress measures, §8 drift), written out here from scratch.
"""
import json
import os

import numpy as np
import scipy.optimize

HERE = os.path.dirname(os.path.abspath(__file__))
EPS = 1e-8


def f32(a):
    return np.asarray(a, dtype=np.float32)


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def write(name, obj):
    path = os.path.join(HERE, name)
    with open(path, "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
    print(f"wrote {name}: {os.path.getsize(path)} bytes")


def cosine_matrix(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    na = np.maximum(np.linalg.norm(a, axis=1), EPS)
    nb = np.maximum(np.linalg.norm(b, axis=1), EPS)
    return (a / na[:, None]) @ (b / nb[:, None]).T


def mean_off_diagonal(s):
    n = s.shape[0]
    return float((s.sum() - np.trace(s)) / (n * (n - 1)))


def weighted_jaccard_matrix(v):
    v = v.astype(np.float64)
    n = v.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = np.minimum(v[i], v[j]).sum() / (np.maximum(v[i], v[j]).sum() + EPS)
    return out


def binary_jaccard_matrix(v):
    b = (v != 0).astype(np.float64)
    inter = b @ b.T
    cnt = b.sum(axis=1)
    union = cnt[:, None] + cnt[None, :] - inter
    return inter / (union + EPS)


def sae_encode(x, w_enc, b_enc, b_dec):
    # float64 reference of ReLU((x − b_dec)·W_enc + b_enc)
    pre = (x.astype(np.float64) - b_dec.astype(np.float64)) @ w_enc.astype(np.float64) + b_enc.astype(np.float64)
    return pre, np.maximum(pre, 0)


def cosine_fixture(rng):
    a = f32(rng.standard_normal((12, 8)))
    a[3] = 0  # a zero row: cosine 0 with everything
    b = f32(rng.standard_normal((15, 8)))
    a2 = f32(a + 0.7 * rng.standard_normal(a.shape))
    rowwise = np.array([cosine_matrix(a[i:i + 1], a2[i:i + 1])[0, 0] for i in range(a.shape[0])])
    c = cosine_matrix(a, b)
    k = 3
    topk_idx = np.argsort(-c, axis=1, kind="stable")[:, :k]
    topk_val = np.take_along_axis(c, topk_idx, axis=1)
    # Drift histogram of many cosines: 400 random pairs in 6-d.
    p = f32(rng.standard_normal((400, 6)))
    q = f32(rng.standard_normal((400, 6)))
    pq = np.array([cosine_matrix(p[i:i + 1], q[i:i + 1])[0, 0] for i in range(400)])
    hist, _ = np.histogram(pq, bins=100, range=(-1.0, 1.0))
    write("cosine.json", {
        "a": tolist(a), "b": tolist(b), "a2": tolist(a2),
        "full": tolist(c), "rowwise": tolist(rowwise),
        "topk_k": k, "topk_indices": topk_idx.tolist(), "topk_values": tolist(topk_val),
        "p": tolist(p), "q": tolist(q), "pq_hist": hist.tolist(), "pq_median": float(np.median(pq)),
        "pq_quantiles": tolist(np.quantile(pq, [0.1, 0.25, 0.5, 0.75, 0.9])),
    })


def similarity_fixture(rng):
    v = f32(np.maximum(rng.standard_normal((10, 30)) - 0.6, 0))
    v[4] = 0  # a zero latent vector
    d = f32(rng.standard_normal((9, 7)))
    write("similarity.json", {
        "sparse": tolist(v),
        "sparse_cos": mean_off_diagonal(cosine_matrix(v, v)),
        "sparse_wj": mean_off_diagonal(weighted_jaccard_matrix(v)),
        "sparse_j": mean_off_diagonal(binary_jaccard_matrix(v)),
        "sparse_wj_matrix": tolist(weighted_jaccard_matrix(v)),
        "dense": tolist(d),
        "dense_cos": mean_off_diagonal(cosine_matrix(d, d)),
    })


def make_sae(rng, d_in, d_sae, dead=()):
    w_enc = f32(rng.standard_normal((d_in, d_sae)) / np.sqrt(d_in))
    b_enc = f32(-0.5 + 0.1 * rng.standard_normal(d_sae))
    for f in dead:
        b_enc[f] = -1e3  # never fires
    w_dec = f32(rng.standard_normal((d_sae, d_in)))
    w_dec /= np.linalg.norm(w_dec, axis=1, keepdims=True)
    b_dec = f32(0.1 * rng.standard_normal(d_in))
    return dict(w_enc=w_enc, b_enc=b_enc, w_dec=f32(w_dec), b_dec=b_dec)


def safe_activations(rng, n, d_in, sae, scale=1.0):
    """Activations whose SAE pre-activations stay ≥ 1e-3 away from the ReLU kink (float32-robust)."""
    while True:
        x = f32(scale * rng.standard_normal((n, d_in)))
        pre, _ = sae_encode(x, sae["w_enc"], sae["b_enc"], sae["b_dec"])
        if np.abs(pre).min() > 1e-3:
            return x


def sae_json(s):
    return {k: tolist(v) for k, v in s.items()}


def progress_fixture(rng):
    rows, context, d_in, d_sae, k = 8, 16, 12, 40, 5
    n = rows * context
    dead = (7, 21)
    final_sae = make_sae(rng, d_in, d_sae, dead)
    ckpt_sae = make_sae(rng, d_in, d_sae)
    x_final = safe_activations(rng, n, d_in, final_sae)
    # checkpoint activations: must be kink-safe for the checkpoint SAE
    x_ckpt = safe_activations(rng, n, d_in, ckpt_sae)
    _, z_final = sae_encode(x_final, final_sae["w_enc"], final_sae["b_enc"], final_sae["b_dec"])
    # Top-k per feature: activation descending, then token ascending; only firing tokens.
    datapoints = []
    for f in range(d_sae):
        col = z_final[:, f]
        order = sorted([t for t in range(n) if col[t] > 0], key=lambda t: (-col[t], t))[:k]
        vals = sorted(col[col > 0], reverse=True)
        if len(vals) > k:
            assert vals[k - 1] - vals[k] > 1e-4, "near-tie at the top-k boundary; change the seed"
        datapoints.append(order)
    baseline_rows = rng.choice(rows, 6, replace=False)
    baseline = [int(r * context + rng.integers(0, context)) for r in baseline_rows]
    _, z_ckpt = sae_encode(x_ckpt, ckpt_sae["w_enc"], ckpt_sae["b_enc"], ckpt_sae["b_dec"])

    def measures(tokens):
        a = x_ckpt[tokens]
        z = z_ckpt[tokens]
        return {
            "activationCosine": mean_off_diagonal(cosine_matrix(a, a)),
            "featureCosine": mean_off_diagonal(cosine_matrix(z, z)),
            "weightedJaccard": mean_off_diagonal(weighted_jaccard_matrix(z)),
            "binaryJaccard": mean_off_diagonal(binary_jaccard_matrix(z)),
        }

    base = measures(baseline)
    sims, progs = [], []
    for f in range(d_sae):
        if len(datapoints[f]) < 2:
            sims.append(None)
            progs.append(None)
            continue
        s = measures(datapoints[f])
        sims.append(s)
        progs.append({m: s[m] - base[m] for m in s})
    write("progress.json", {
        "rows": rows, "context": context, "k": k, "dead": list(dead),
        "final_sae": sae_json(final_sae), "checkpoint_sae": sae_json(ckpt_sae),
        "x_final": tolist(x_final), "x_checkpoint": tolist(x_ckpt),
        "datapoints": datapoints, "baseline": baseline,
        "baseline_values": base, "similarity": sims, "progress": progs,
    })


def matching_fixture(rng):
    a = f32(rng.standard_normal((30, 10)))
    b = f32(rng.standard_normal((40, 10)))
    alive_a = np.ones(30, bool)
    alive_a[[2, 17]] = False
    alive_b = np.ones(40, bool)
    alive_b[[0, 5, 39]] = False
    threshold = 0.5

    def summary(a, b, alive_a, alive_b):
        ia, ib = np.flatnonzero(alive_a), np.flatnonzero(alive_b)
        c = cosine_matrix(a[ia], b[ib])
        row_arg = ib[np.argmax(c, axis=1)]  # argmax: first maximum, i.e. the lowest index on ties
        col_arg = ia[np.argmax(c, axis=0)]
        row_max, col_max = c.max(axis=1), c.max(axis=0)
        return {
            "rowMax": tolist(row_max), "rowArg": row_arg.tolist(), "rowIdx": ia.tolist(),
            "colMax": tolist(col_max), "colArg": col_arg.tolist(), "colIdx": ib.tolist(),
            "mmcsAB": float(row_max.mean()), "mmcsBA": float(col_max.mean()),
            "sharedAB": float((row_max >= threshold).mean()), "sharedBA": float((col_max >= threshold).mean()),
        }

    # One-to-one: scipy's exact optimum on the live cosine matrix, both orientations.
    ia, ib = np.flatnonzero(alive_a), np.flatnonzero(alive_b)
    c = cosine_matrix(a[ia], b[ib])
    r, col = scipy.optimize.linear_sum_assignment(c, maximize=True)
    total_ab = float(c[r, col].sum())
    r2, col2 = scipy.optimize.linear_sum_assignment(c.T, maximize=True)
    total_ba = float(c.T[r2, col2].sum())
    # Integer costs with many ties, square and rectangular, minimised.
    ints = rng.integers(0, 6, size=(25, 25)).astype(np.float32)
    ri, ci = scipy.optimize.linear_sum_assignment(ints)
    rect = f32(rng.standard_normal((13, 31)))
    rr, rc = scipy.optimize.linear_sum_assignment(rect)
    rrt, rct = scipy.optimize.linear_sum_assignment(rect.T)
    write("matching.json", {
        "a": tolist(a), "b": tolist(b), "alive_a": alive_a.tolist(), "alive_b": alive_b.tolist(),
        "threshold": threshold,
        "all": summary(a, b, np.ones(30, bool), np.ones(40, bool)),
        "masked": summary(a, b, alive_a, alive_b),
        "lsa_total_ab": total_ab, "lsa_total_ba": total_ba, "lsa_matched_ab": int(len(r)),
        "int_costs": tolist(ints), "int_total": float(ints[ri, ci].sum()),
        "rect_costs": tolist(rect), "rect_total": float(rect[rr, rc].sum()), "rect_t_total": float(rect.T[rrt, rct].sum()),
    })


def mcc(a, b, alive_a, alive_b):
    """Dictionary MCC (arXiv 2505.20254): mean decoder cosine under the optimal one-to-one
    assignment (scipy's linear_sum_assignment, maximised), over live rows."""
    c = cosine_matrix(a[alive_a], b[alive_b])
    r, col = scipy.optimize.linear_sum_assignment(c, maximize=True)
    return float(c[r, col].mean()), int(len(r))


def mcc_fixture(rng):
    # Seed-noise floor: three dictionaries of 24 features in 10 dimensions. D1 is D0 permuted with
    # noise (a close re-seed), D2 an unrelated one; D1 has two dead features, D2 one (rectangular
    # live cosine matrices, both orientations).
    n, d = 24, 10
    d0 = rng.standard_normal((n, d))
    d1 = d0[rng.permutation(n)] + 0.35 * rng.standard_normal((n, d))
    d2 = rng.standard_normal((n, d))
    decoders = [f32(x) for x in (d0, d1, d2)]
    alive = [np.ones(n, bool) for _ in range(3)]
    alive[1][[4, 19]] = False
    alive[2][[7]] = False
    pairs = []
    for i in range(3):
        for j in range(i + 1, 3):
            value, matched = mcc(decoders[i], decoders[j], alive[i], alive[j])
            pairs.append({"a": i, "b": j, "mcc": value, "matched": matched})
    values = [p["mcc"] for p in pairs]
    all_live = mcc(decoders[0], decoders[1], np.ones(n, bool), np.ones(n, bool))[0]
    write("mcc.json", {
        "decoders": [tolist(x) for x in decoders], "alive": [a.tolist() for a in alive],
        "pairs": pairs, "mean": float(np.mean(values)), "min": float(np.min(values)), "max": float(np.max(values)),
        "mcc_01_all_live": all_live,
    })


def midranks(x):
    """1-based ranks with ties averaged, written out with numpy (no scipy/sklearn)."""
    x = np.asarray(x, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ranks = np.empty(len(x))
    start = 0
    while start < len(x):
        end = start + 1
        while end < len(x) and xs[end] == xs[start]:
            end += 1
        ranks[order[start:end]] = (start + 1 + end) / 2.0
        start = end
    return ranks


def auroc(scores, labels):
    labels = np.asarray(labels, bool)
    p, q = labels.sum(), (~labels).sum()
    if p == 0 or q == 0:
        return None
    r = midranks(scores)[labels].sum()
    return float((r - p * (p + 1) / 2) / (p * q))


def auroc_fixture(rng):
    scores = np.round(rng.random(60), 1).astype(np.float32)  # many ties
    labels = rng.random(60) < 0.3
    # Sparse non-negative codes with ties, 3 labels; feature 4 dead; label 2 has no positives.
    n, m = 200, 12
    codes = np.maximum(np.round(rng.standard_normal((n, m)), 1) - 0.3, 0).astype(np.float32)
    codes[:, 4] = 0
    masks = np.zeros((3, n), bool)
    masks[0] = rng.random(n) < 0.2
    masks[1] = codes[:, 7] > 0.5  # feature 7 separates label 1 perfectly
    expected = [[auroc(codes[:, f], masks[li]) for f in range(m)] for li in range(3)]
    best = []
    for li in range(3):
        cands = [(v, f) for f, v in enumerate(expected[li]) if v is not None and (codes[:, f] > 0).any()]
        best.append(None if not cands else max(cands, key=lambda t: (t[0], -t[1]))[1])
    write("auroc.json", {
        "scores": tolist(scores), "labels": labels.tolist(), "auroc": auroc(scores, labels),
        "codes": tolist(codes), "masks": masks.astype(int).tolist(), "expected": expected, "best": best,
    })


def pca_fixture(rng):
    # A drifting direction: 9 checkpoints of a unit vector in 16-d moving along a curve plus noise.
    t = np.linspace(0, 1, 9)[:, None]
    base, d1, d2 = rng.standard_normal((3, 16))
    rows = base + 3 * t * d1 + 2 * np.sin(3 * t) * d2 + 0.05 * rng.standard_normal((9, 16))
    rows = f32(rows / np.linalg.norm(rows, axis=1, keepdims=True))
    x = rows.astype(np.float64) - rows.astype(np.float64).mean(axis=0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    write("pca.json", {
        "rows": tolist(rows), "points": tolist(u[:, :2] * s[:2]),
        "evr": tolist((s ** 2 / (s ** 2).sum())[:2]), "components": tolist(vt[:2]),
    })


def recovery_fixture(rng):
    """Planted-label recovery (Docs/Metrics.md): AUROC table, scipy's one-to-one assignment on
    1 - AUROC over the candidate latents, the assigned latents' firing precision / recall / F1, and
    uniqueness over the detecting latents."""
    n, m, n_labels, theta = 300, 16, 5, 0.85
    codes = np.maximum(rng.standard_normal((n, m)) - 0.6, 0).astype(np.float32)
    masks = np.zeros((n_labels, n), bool)
    for li in range(n_labels - 1):
        masks[li] = rng.random(n) < 0.15
        # latent 2·li detects label li (fires mostly on it); latent 2·li+1 a weaker copy for li < 2
        codes[:, 2 * li] = np.where(masks[li], 1 + rng.random(n), np.where(rng.random(n) < 0.05, 0.3 * rng.random(n), 0)).astype(np.float32)
        if li < 2:
            codes[:, 2 * li + 1] = np.where(masks[li] & (rng.random(n) < 0.8), 0.5 + rng.random(n), 0).astype(np.float32)
    masks[n_labels - 1] = rng.random(n) < 0.2              # a label nothing detects
    codes[:, 13] = 0                                       # dead
    candidates = (codes > 0).any(axis=0)
    candidates[5] = False                                  # a live latent that is not a candidate
    table = [[auroc(codes[:, f], masks[li]) for f in range(m)] for li in range(n_labels)]
    ids = [f for f in range(m) if candidates[f]]
    cost = np.array([[1 - table[li][f] for f in ids] for li in range(n_labels)])
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    labels = []
    for li in range(n_labels):
        best = max(((table[li][f], -f) for f in ids))
        j = ids[cols[list(rows).index(li)]]
        fires = codes[:, j] > 0
        hits = (fires & masks[li]).sum()
        p = hits / fires.sum() if fires.sum() else 0.0
        r = hits / masks[li].sum()
        labels.append({"best_latent": -best[1], "best_auroc": best[0], "assigned_latent": j, "assigned_auroc": table[li][j],
                       "precision": float(p), "recall": float(r), "f1": float(2 * p * r / (p + r)) if p + r else 0.0})
    detectors = [f for f in ids if max(table[li][f] for li in range(n_labels)) >= theta]
    detected = {int(np.argmax([table[li][f] for li in range(n_labels)])) for f in detectors}
    write("recovery.json", {
        "codes": tolist(codes), "masks": masks.astype(int).tolist(), "candidates": candidates.tolist(), "threshold": theta,
        "labels": labels, "recovered": sum(1 for l in labels if l["assigned_auroc"] >= theta),
        "detectors": len(detectors), "uniqueness": len(detected) / len(detectors),
        "precision": float(np.mean([l["precision"] for l in labels])), "recall": float(np.mean([l["recall"] for l in labels])),
        "f1": float(np.mean([l["f1"] for l in labels])), "mean_best_auroc": float(np.mean([l["best_auroc"] for l in labels])),
    })


def main():
    rng = np.random.default_rng(20241217)
    cosine_fixture(rng)
    similarity_fixture(rng)
    progress_fixture(rng)
    matching_fixture(rng)
    auroc_fixture(rng)
    pca_fixture(rng)
    mcc_fixture(np.random.default_rng(250520254))  # its own stream: the fixtures above are unchanged
    recovery_fixture(np.random.default_rng(2509172))


if __name__ == "__main__":
    main()
