"""numpy oracle for SAETrackSAE's dead-feature resampling (DeadFeatureResampler, Docs/Method.md §5.5..

Run by hand (never by the tests):  venv/bin/python Tests/Fixtures/sae/generate_resampling.py

Writes resampling.safetensors next to this script: a small ReLU SAE (W_enc, b_enc, W_dec, b_dec)
with three features made silent (b_enc = -100), a batch x, Adam moments m_*/v_* for every tensor,
and numpy's
  dead          features whose ReLU code is 0 on every row of x
  losses        ||x_b - x_hat_b||^2 per row
  rows          the input row given to each dead feature (fixed here: the draw is seeded Swift code)
  expected_*    the tensors and moments after re-initialising the dead features toward those rows:
                u = (x_r - b_dec)/||x_r - b_dec||, W_dec[i] = u, W_enc[:, i] = 0.2 * mean alive
                ||W_enc[:, j]|| * u, b_enc[i] = 0, their moments zeroed, everything else unchanged.
"""
import os

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
D_IN, D_SAE, N = 6, 10, 16
SCALE = 0.2


def main():
    rng = np.random.default_rng(2026)
    W_enc = rng.normal(0, 0.5, (D_IN, D_SAE)).astype(np.float32)
    b_enc = rng.normal(0, 0.1, D_SAE).astype(np.float32)
    silent = [2, 5, 7]
    b_enc[silent] = -100.0
    W_dec = rng.normal(0, 1, (D_SAE, D_IN)).astype(np.float32)
    W_dec /= np.linalg.norm(W_dec, axis=1, keepdims=True)
    b_dec = rng.normal(0, 0.2, D_IN).astype(np.float32)
    x = rng.normal(0, 1, (N, D_IN)).astype(np.float32)

    x64 = x.astype(np.float64)
    f = np.maximum(0, (x64 - b_dec) @ W_enc.astype(np.float64) + b_enc)
    x_hat = f @ W_dec.astype(np.float64) + b_dec
    dead = np.where((f > 0).sum(axis=0) == 0)[0]
    assert list(dead) == silent, dead
    losses = ((x64 - x_hat) ** 2).sum(axis=1)
    rows = np.array([3, 11, 3])                       # one row twice: two features may share an input

    moments = {}
    for name, shape in [("W_enc", (D_SAE, D_IN)), ("W_dec", (D_SAE, D_IN)), ("b_enc", (D_SAE,)), ("b_dec", (D_IN,))]:
        moments["m_" + name] = rng.normal(0, 1e-3, shape).astype(np.float32)      # W_enc moments in (d_sae, d_in)
        moments["v_" + name] = rng.uniform(0, 1e-6, shape).astype(np.float32)

    alive = [j for j in range(D_SAE) if j not in dead]
    enc_norm = SCALE * np.linalg.norm(W_enc.astype(np.float64)[:, alive], axis=0).mean()
    eW_enc, eb_enc, eW_dec = W_enc.astype(np.float64).copy(), b_enc.astype(np.float64).copy(), W_dec.astype(np.float64).copy()
    em = {k: v.copy() for k, v in moments.items()}
    for i, r in zip(dead, rows):
        u = x64[r] - b_dec
        u /= np.linalg.norm(u)
        eW_dec[i] = u
        eW_enc[:, i] = enc_norm * u
        eb_enc[i] = 0
        for k in ("m_W_enc", "v_W_enc", "m_W_dec", "v_W_dec"):
            em[k][i] = 0
        for k in ("m_b_enc", "v_b_enc"):
            em[k][i] = 0
    # Each resampled feature now fires on its row.
    f_after = np.maximum(0, (x64 - b_dec) @ eW_enc + eb_enc)
    assert all(f_after[r, i] > 0 for i, r in zip(dead, rows))

    t = {"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec, "x": x,
         "dead": dead.astype(np.float32), "losses": losses.astype(np.float32), "rows": rows.astype(np.float32),
         "expected_W_enc": eW_enc.astype(np.float32), "expected_b_enc": eb_enc.astype(np.float32),
         "expected_W_dec": eW_dec.astype(np.float32)}
    t.update(moments)
    t.update({"expected_" + k: v for k, v in em.items()})
    save_file(t, os.path.join(HERE, "resampling.safetensors"),
              metadata={"encoder_scale": str(SCALE), "generator": "Tests/Fixtures/sae/generate_resampling.py"})


if __name__ == "__main__":
    main()
