"""Fixtures for the report's new numbers (Tests/SAETrackTests/ReportNumbersTests.swift), computed
independently with numpy / scipy / tokenizers.

Rerun (from the repository root):  venv/bin/python Tests/Fixtures/report/generate.py
Writes report.json next to this script. Inputs are float32 values; expected values are float64.

- activation distribution: numpy.histogram over [0, max] of the non-zero activations, density,
  numpy.quantile (linear) of the non-zero activations;
- logit lens: U @ (gamma * (d - mean(d))) and its top / bottom k token ids (ties to the lower id);
- chain vs scratch: scipy.optimize.linear_sum_assignment on the live decoder cosines (maximise),
  quantiles and mean of the matched cosines, MMCS both ways, shared fraction at 0.7;
- token pieces: `tokenizers`' decoding of the byte-level fixture tokenizer, whole text and each
  token on its own.
"""
import json
import os

import numpy as np
import scipy.optimize
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
QS = [0.1, 0.25, 0.5, 0.75, 0.9]


def f32(a):
    return np.asarray(a, dtype=np.float32)


def tolist(a):
    return np.asarray(a, dtype=np.float64).tolist()


def distribution(rng):
    n, bins = 400, 24
    acts = f32(np.where(rng.random(n) < 0.3, rng.gamma(2.0, 0.7, n), 0.0))
    acts[17] = 0.0
    nz = acts[acts > 0].astype(np.float64)
    counts, edges = np.histogram(nz, bins=bins, range=(0.0, float(nz.max())))
    return {
        "activations": tolist(acts), "bins": bins,
        "density": float((acts > 0).mean()), "max": float(nz.max()),
        "edges": tolist(edges), "counts": counts.astype(int).tolist(),
        "quantile_levels": [0.0, 0.1, 0.25, 0.5, 0.9, 1.0],
        "quantiles": tolist(np.quantile(nz, [0.0, 0.1, 0.25, 0.5, 0.9, 1.0])),
    }


def logit_lens(rng):
    vocab, d, k = 37, 12, 5
    u = f32(rng.normal(size=(vocab, d)))
    gamma = f32(rng.uniform(0.5, 1.5, d))
    direction = f32(rng.normal(size=d))
    dd = direction.astype(np.float64)
    logits = u.astype(np.float64) @ (gamma.astype(np.float64) * (dd - dd.mean()))
    order = sorted(range(vocab), key=lambda v: (-logits[v], v))
    border = sorted(range(vocab), key=lambda v: (logits[v], v))
    return {"unembedding": tolist(u), "ln_weight": tolist(gamma), "direction": tolist(direction), "k": k,
            "logits": tolist(logits), "top": order[:k], "bottom": border[:k]}


def chain_vs_scratch(rng):
    d, n_a, n_b = 10, 30, 26
    base = rng.normal(size=(n_a, d))
    a = f32(base)
    b = f32(np.concatenate([base[rng.permutation(n_a)[:18]] + 0.4 * rng.normal(size=(18, d)), rng.normal(size=(n_b - 18, d))]))
    alive_a = np.ones(n_a, bool); alive_a[[3, 11]] = False
    alive_b = np.ones(n_b, bool); alive_b[[0, 7, 20]] = False
    la, lb = a[alive_a].astype(np.float64), b[alive_b].astype(np.float64)
    la /= np.linalg.norm(la, axis=1, keepdims=True)
    lb /= np.linalg.norm(lb, axis=1, keepdims=True)
    c = la @ lb.T
    rows, cols = scipy.optimize.linear_sum_assignment(c, maximize=True)
    matched = np.sort(c[rows, cols])
    return {"a": tolist(a), "b": tolist(b), "alive_a": alive_a.tolist(), "alive_b": alive_b.tolist(),
            "matched": int(len(rows)), "matched_quantiles": tolist(np.quantile(matched, QS)),
            "matched_mean": float(matched.mean()), "mmcs_a_to_b": float(c.max(axis=1).mean()),
            "mmcs_b_to_a": float(c.max(axis=0).mean()), "shared_fraction": float((c[rows, cols] >= 0.7).sum() / la.shape[0])}


def pieces():
    tok = Tokenizer.from_file(os.path.join(HERE, "..", "tokenizer", "bpe", "tokenizer.json"))
    text = "The copyright notice, naïve café — 3.14 ünïcode\nnext line"
    ids = tok.encode(text).ids
    return {"text": text, "ids": ids, "decoded": tok.decode(ids), "each": [tok.decode([i]) for i in ids]}


def main():
    rng = np.random.default_rng(17)
    out = {"distribution": distribution(rng), "logit_lens": logit_lens(rng), "chain_vs_scratch": chain_vs_scratch(rng),
           "pieces": pieces()}
    path = os.path.join(HERE, "report.json")
    with open(path, "w") as fh:
        json.dump(out, fh, separators=(",", ":"), ensure_ascii=False)
    print(f"wrote report.json: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
