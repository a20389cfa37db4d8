"""PyTorch oracle for SAETrackSAE's cross-snapshot crosscoder (Sources/SAETrackSAE/Crosscoder).

Run by hand (never by the tests):  venv/bin/python Tests/Fixtures/sae/generate_crosscoder.py

Writes crosscoder_<case>.safetensors next to this script, for case l1 and batchtopk: a small fixed
crosscoder over S = 3 snapshots (d_in 6, d_sae 12, decoder rows of unequal norms) and one batch of
B = 10 tokens per snapshot, and, from a float64 PyTorch transcription of the crosscoder
(Anthropic's crosscoder note; Minder et al. 2025's BatchTopK crosscoder, as documented in
Docs/Method.md):

    pre  = b_enc + sum_s x_s @ W_enc[s]                       (no b_dec subtracted)
    n_i  = sum_s ||W_dec[s, i]||
    l1:        f = relu(pre);  loss = sum_s mean_b ||x_s - x_hat_s||^2 + lam * mean_b sum_i f_i n_i
    batchtopk: f = relu(pre) kept at the k*B largest relu(pre) * n of the batch, else 0; loss = the MSE term
    x_hat_s = f @ W_dec[s] + b_dec[s]

  inputs: x (S, B, d_in), W_enc (S, d_in, d_sae), b_enc, W_dec (S, d_sae, d_in), b_dec (S, d_in)
  outputs: code f, x_hat, mse_per_snapshot, explained_variance_per_snapshot (1 - SSE / centred SS per
  snapshot), autograd gradients grad_<tensor>, and <tensor>_after_adam: one torch.optim.Adam step
  (lr 1e-3, betas (0.9, 0.999), eps 1e-8) from those gradients. Scalars (loss, mse, sparsity, l0,
  lambda, k, lr) are in the metadata.
"""
import os

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
S, D, M, B = 3, 6, 12, 10
LR = 1e-3


def case(name, sparsity, setting, seed):
    g = torch.Generator().manual_seed(seed)
    dt = torch.float64
    x = torch.randn(S, B, D, generator=g, dtype=dt) * torch.tensor([0.5, 1.0, 2.0], dtype=dt).view(S, 1, 1)
    w_enc = torch.randn(S, D, M, generator=g, dtype=dt) * 0.4
    b_enc = torch.randn(M, generator=g, dtype=dt) * 0.1
    w_dec = torch.randn(S, M, D, generator=g, dtype=dt)
    w_dec = w_dec / w_dec.norm(dim=-1, keepdim=True) * (0.2 + 1.3 * torch.rand(S, M, 1, generator=g, dtype=dt))
    b_dec = torch.randn(S, D, generator=g, dtype=dt) * 0.1
    # Parameters rounded to float32 first, so Swift (float32) and this reference start from the same values.
    params = [t.float().double().clone().requires_grad_(True) for t in (w_enc, b_enc, w_dec, b_dec)]
    x = x.float().double()
    W_enc, b_e, W_dec, b_d = params

    pre = b_e + torch.einsum("sbd,sdm->bm", x, W_enc)
    norms = W_dec.norm(dim=-1).sum(dim=0)                      # (M,) sum over snapshots of ||W_dec[s, i]||
    relu = torch.relu(pre)
    if sparsity == "l1":
        f = relu
        sparse = setting * (f * norms).sum(dim=-1).mean()
    else:
        scores = (relu * norms.detach()).flatten()
        idx = scores.topk(setting * B).indices
        f = torch.zeros_like(relu).flatten().scatter(0, idx, relu.flatten()[idx]).view(B, M)
        sparse = torch.zeros((), dtype=dt)
    x_hat = torch.einsum("bm,smd->sbd", f, W_dec) + b_d.unsqueeze(1)
    err = (x_hat - x).pow(2).sum(dim=-1)                       # (S, B)
    mse_per = err.mean(dim=1)
    mse = mse_per.sum()
    loss = mse + sparse
    loss.backward()
    centred = (x - x.mean(dim=1, keepdim=True)).pow(2).sum(dim=(1, 2))
    ev = 1 - err.sum(dim=1) / centred
    grads = [p.grad.clone() for p in params]
    # Every gradient entry is 0 or well above Adam's eps, so float32 rounding cannot flip a step.
    nz = torch.cat([gr.flatten() for gr in grads])
    nz = nz[nz != 0].abs()
    assert nz.min() > 1e-6, f"{name}: a gradient entry {nz.min()} is too close to Adam's eps"

    opt = torch.optim.Adam(params, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    opt.step()

    names = ["W_enc", "b_enc", "W_dec", "b_dec"]
    tensors = {"x": x, "code": f.detach(), "x_hat": x_hat.detach(), "mse_per_snapshot": mse_per.detach(),
               "explained_variance_per_snapshot": ev.detach()}
    for n, p0, gr, p1 in zip(names, (w_enc, b_enc, w_dec, b_dec), grads, params):
        tensors[n] = p0.float().double()
        tensors["grad_" + n] = gr
        tensors[n + "_after_adam"] = p1.detach()
    tensors = {k: v.float().contiguous() for k, v in tensors.items()}
    meta = {"loss": repr(loss.item()), "mse": repr(mse.item()), "sparsity": repr(sparse.item()),
            "l0": repr((f > 0).double().sum(dim=-1).mean().item()), "lr": repr(LR), "sparsity_kind": sparsity,
            "setting": repr(setting), "torch": torch.__version__}
    save_file(tensors, os.path.join(HERE, f"crosscoder_{name}.safetensors"), metadata=meta)
    print(name, {k: meta[k] for k in ("loss", "mse", "sparsity", "l0")})


if __name__ == "__main__":
    case("l1", "l1", 0.3, 1)
    case("batchtopk", "batchtopk", 3, 2)
