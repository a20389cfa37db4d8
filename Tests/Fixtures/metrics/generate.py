"""Fixtures for Tests/SAETrackMetricsTests: the metrics computed independently with numpy / scipy.

Rerun (from the repository root):  /work/venv/bin/python Tests/Fixtures/metrics/generate.py
Writes small JSON files next to this script. Matrices are nested lists of float32 values; every
expected value is computed in float64 from those float32 inputs with the formulas of method.md
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


def main():
    rng = np.random.default_rng(20241217)
    cosine_fixture(rng)
    similarity_fixture(rng)
    progress_fixture(rng)


if __name__ == "__main__":
    main()
