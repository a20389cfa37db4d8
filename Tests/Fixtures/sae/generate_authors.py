"""Oracle fixtures from the SAE-Track authors' own code, for Tests/SAETrackSAETests/AuthorsCodeTests.swift.

Their code (github.com/Superposition09m/SAE-Track, commit d89a8a3) is NOT part of this repository.
Put its `sae_training/` package somewhere outside the repository and pass that directory:

    git clone https://github.com/Superposition09m/SAE-Track /tmp/SAE-Track   # or: git archive d89a8a3 sae_training
    WANDB_MODE=disabled venv/bin/python Tests/Fixtures/sae/generate_authors.py /tmp/SAE-Track

(`sae_training.config` calls wandb.util.generate_id() to name a checkpoint directory; wandb ships with
sae-lens, newer versions lack that function and get a stand-in; nothing is logged or written by them.)

Their code runs in float64 (their config's `dtype`) on float32-representable inputs, so the fixture
holds the exact values and the Swift float32 results are compared with float32 rounding alone.
For each case, on a fixed SAE (d_in 12, d_sae 48) and batch (B 16), this calls the authors'
`sae_training.train_sae_on_language_model._train_step` once — their SparseAutoencoder.forward (MSE
over the centred-norm denominator, L1 with w_dec_norm 1 or 0, ghost grads for the features their
counter marks dead), the optional anchor to a previous SAE (`sae_pretrained_reg`), backward,
`remove_gradient_parallel_to_decoder_directions`, torch Adam and their `constantwithwarmup`
scheduler — and writes authors_<case>.safetensors:
  x, W_enc, b_enc, W_dec, b_dec            the inputs (W_dec after their unit-norm step when w_dec_norm 1)
  prev_W_enc, prev_W_dec                  the anchor SAE (case "reg")
  dead                                    the feature ids their counter marked dead
  grad_*                                  gradients as Adam used them (after the parallel removal)
  after_*                                 parameters after the step
  metadata: loss, mse, l1, ghost, reg, l1_coefficient, lr (scheduled, as used), reg_coefficient, w_dec_norm
"""
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
D_IN, EXPANSION, B = 12, 4, 16
D_SAE = D_IN * EXPANSION


def authors_step(case, w_dec_norm, dead, seed, reg_coefficient=None, lr=1e-3, warm_up=3, l1=0.016):
    from sae_training.config import LanguageModelSAERunnerConfig
    from sae_training.optim import get_scheduler
    from sae_training.sparse_autoencoder import SparseAutoencoder
    from sae_training.train_sae_on_language_model import SAETrainContext, _train_step

    cfg = LanguageModelSAERunnerConfig(d_in=D_IN, expansion_factor=EXPANSION, l1_coefficient=l1, lr=lr,
                                       lr_warm_up_steps=warm_up, lr_scheduler_name="constantwithwarmup",
                                       train_batch_size=B, use_ghost_grads=True, dead_feature_window=5,
                                       feature_sampling_window=1000, w_dec_norm=w_dec_norm, log_to_wandb=False,
                                       b_dec_init_method="zeros", hook_point_layer=0, device="cpu",
                                       reg_coefficient=reg_coefficient, dtype=torch.float64)
    torch.manual_seed(seed)
    sae = SparseAutoencoder(cfg)
    with torch.no_grad():
        sae.W_enc.copy_(torch.randn(D_IN, D_SAE) * 0.4)
        sae.b_enc.copy_(torch.randn(D_SAE) * 0.3 - 0.2)
        W_dec = torch.randn(D_SAE, D_IN)
        W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
        if w_dec_norm == 0:
            W_dec = W_dec * (0.5 + 1.5 * torch.rand(D_SAE, 1))
        sae.W_dec.copy_(W_dec)
        sae.b_dec.copy_(torch.randn(D_IN) * 0.1)
    prev = None
    if reg_coefficient is not None:
        prev = SparseAutoencoder(cfg)
        with torch.no_grad():
            prev.W_enc.copy_(sae.W_enc + 0.05 * torch.randn(D_IN, D_SAE))
            prev.W_dec.copy_(sae.W_dec + 0.05 * torch.randn(D_SAE, D_IN))
    x = (torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)).double()
    optimizer = torch.optim.Adam(sae.parameters(), lr=lr)
    scheduler = get_scheduler("constantwithwarmup", optimizer, warm_up_steps=warm_up, training_steps=100, lr_end=0)
    passes = torch.zeros(D_SAE, dtype=torch.float64)
    passes[dead] = 10                                  # > dead_feature_window: their ghost-grad mask
    ctx = SAETrainContext(act_freq_scores=torch.zeros(D_SAE, dtype=torch.float64), n_forward_passes_since_fired=passes,
                          n_frac_active_tokens=0, optimizer=optimizer, scheduler=scheduler)
    used_lr = optimizer.param_groups[0]["lr"]          # the scheduled lr of step 0
    if w_dec_norm == 1:
        sae.set_decoder_norm_to_unit_norm()            # what _train_step does first; idempotent
    inputs = {"x": x, "W_enc": sae.W_enc, "b_enc": sae.b_enc, "W_dec": sae.W_dec, "b_dec": sae.b_dec}
    inputs = {k: v.detach().clone() for k, v in inputs.items()}
    out = _train_step(sae, x[:, None, :], ctx, feature_sampling_window=1000, use_wandb=False, n_training_steps=0,
                      all_layers=[0], batch_size=B, wandb_suffix="", sae_pretrained_reg=prev)
    tensors = dict(inputs)
    for n in ("W_enc", "b_enc", "W_dec", "b_dec"):
        tensors["grad_" + n] = getattr(sae, n).grad.detach().clone()
        tensors["after_" + n] = getattr(sae, n).detach().clone()
    if prev is not None:
        tensors["prev_W_enc"] = prev.W_enc.detach().clone()
        tensors["prev_W_dec"] = prev.W_dec.detach().clone()
    tensors["dead"] = torch.tensor(dead, dtype=torch.float32) if dead else torch.zeros(0)
    meta = {"loss": out.loss, "mse": out.mse_loss, "l1": out.l1_loss, "ghost": out.ghost_grad_loss,
            "reg": out.reg_loss * (reg_coefficient or 0), "l1_coefficient": l1, "lr": used_lr,
            "reg_coefficient": reg_coefficient or 0.0, "w_dec_norm": w_dec_norm}
    name = f"authors_{case}.safetensors"
    save_file({k: v.to(torch.float32).contiguous() for k, v in tensors.items()}, os.path.join(HERE, name),
              metadata={k: repr(float(v.detach() if torch.is_tensor(v) else v)) for k, v in meta.items()})
    print("wrote", name, {k: float(v.detach() if torch.is_tensor(v) else v) for k, v in meta.items()})


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(os.path.join(sys.argv[1], "sae_training")):
        sys.exit(__doc__)
    sys.path.insert(0, os.path.abspath(sys.argv[1]))
    import wandb.util
    if not hasattr(wandb.util, "generate_id"):         # newer wandb: their config only names a checkpoint dir with it
        wandb.util.generate_id = lambda: "fixture"
    authors_step("plain", w_dec_norm=1, dead=[], seed=1)
    authors_step("ghost", w_dec_norm=1, dead=[2, 9, 10, 23, 31, 40, 47], seed=2)
    authors_step("weighted", w_dec_norm=0, dead=[], seed=3)
    authors_step("reg", w_dec_norm=1, dead=[5, 6], seed=4, reg_coefficient=0.3)
