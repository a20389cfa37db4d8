#!/usr/bin/env python3
"""Training quality side by side: dictionary recovery on synthetic activations, SAETrack vs SAELens.

Synthetic activations with a known dictionary come from SAELens 6.54.12's `sae_lens.synthetic`: an
orthogonalised `FeatureDictionary` (features x hidden) and an `ActivationGenerator` with Zipfian firing
probabilities (scaled to a mean L0) and folded-normal magnitudes. The same rows are written to one
activation file and trained on by

  * SAETrack: `saetrack train-sae --activations FILE --no-shuffle` (batches in file order), once with
    its defaults (`--weight-init`, `--b-dec-init`, `--clip-grad-norm` auto: SAELens's setup below for
    standard with --loss saelens and for jumprelu, SAE-Track's for the TopK family) and once set up as
    SAELens's trainer is (`saetrack_tied`: `--weight-init saelens --b-dec-init zeros --clip-grad-norm 1`), and
  * SAELens: its own `SAETrainer` over the same rows in the same order (batch i = rows i*B..(i+1)*B,
    wrapping), with the same width, k / sparsity coefficient, learning rate, steps and batch size,

for each architecture (standard, topk, batchtopk, jumprelu, matryoshka). Both SAEs are then opened
with `sae_lens.SAE.load_from_disk` (SAETrack writes SAELens's layout; SAELens's via
`save_inference_model`, so BatchTopK / Matryoshka are evaluated as the JumpReLU SAEs both save) and
scored on held-out rows with SAELens's own metrics: MCC (`mean_correlation_coefficient` of decoder
rows vs true features, Hungarian matching) and F1 (`compute_classification_metrics`: each latent as a
classifier of its best-matching true feature's firing), with L0, dead latents and explained variance.

Training differences between SAE-Track's setup (SAETrack's default for the TopK family) and SAELens's
trainer (`saetrack_tied` removes them):
  * initialisation: SAE-Track's is Kaiming-uniform W_enc / W_dec and a geometric-median b_dec;
    SAELens's is tied (W_dec rows of norm 0.1, W_enc = W_dec^T, b_dec 0);
  * SAELens's trainer clips the total gradient norm to 1; SAE-Track does not clip.
BatchTopK / Matryoshka run without rescale_acts_by_decoder_norm in both (SAETrack has it for TopK only).

Usage:
  venv/bin/python Benchmarks/compare_dictionary_recovery.py [--steps 1000] [--out results.json]
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import torch
from safetensors.torch import save_file

from sae_lens import SAE
from sae_lens.synthetic import (ActivationGenerator, FeatureDictionary, compute_classification_metrics,
                                mean_correlation_coefficient, zipfian_firing_probabilities)
from sae_lens.training.sae_trainer import SAETrainer
from sae_lens.config import SAETrainerConfig, LoggingConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHITECTURES = ["standard", "topk", "batchtopk", "jumprelu", "matryoshka"]


def make_data(a):
    """(train hidden, eval hidden, eval feature activations, true feature vectors)."""
    torch.manual_seed(a.seed)
    fd = FeatureDictionary(a.features, a.hidden, seed=a.seed)
    probs = zipfian_firing_probabilities(a.features, exponent=0.7, max_prob=0.4, min_prob=0.005)
    probs = (probs * (a.l0 / probs.sum())).clamp(max=1.0)                 # mean L0 ≈ a.l0
    gen = ActivationGenerator(a.features, firing_probabilities=probs, std_firing_magnitudes=0.25,
                              mean_firing_magnitudes=1.0)
    with torch.no_grad():
        feats = gen.sample(a.samples + a.eval_samples)
        hidden = fd(feats)
    return (hidden[:a.samples].contiguous(), hidden[a.samples:].contiguous(), feats[a.samples:].contiguous(),
            fd.feature_vectors.detach().clone())


def saetrack_flags(arch, a, tied=False):
    common = ["--architecture", arch, "--d-sae", str(a.width), "--steps", str(a.steps), "--batch-size", str(a.batch),
              "--lr", str(a.lr), "--warmup", "0", "--loss", "saelens", "--decoder-norm", "free", "--no-shuffle",
              "--dead-window", "1000", "--sampling-window", "2000", "--eval-tokens", str(a.eval_samples),
              "--buffer-tokens", "65536", "--log-every", "500", "--save-every", "0", "--threads", str(a.threads),
              "--seed", str(a.seed)]
    if tied:
        common += ["--weight-init", "saelens", "--b-dec-init", "zeros", "--clip-grad-norm", "1"]
    if arch == "standard":
        return common + ["--l1", str(a.l1), "--no-ghost-grads"]
    if arch == "topk":
        return common + ["--k", str(a.k), "--rescale-acts-by-decoder-norm"]
    if arch == "batchtopk":
        return common + ["--k", str(a.k)]
    if arch == "matryoshka":
        return common + ["--k", str(a.k), "--matryoshka-widths", ",".join(map(str, a.matryoshka_widths))]
    if arch == "jumprelu":
        return common + ["--l0-coefficient", str(a.l0_coefficient)]
    raise ValueError(arch)


def saelens_sae(arch, a, d_in):
    from sae_lens.saes.standard_sae import StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
    from sae_lens.saes.jumprelu_sae import JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig
    from sae_lens.saes.matryoshka_batchtopk_sae import (MatryoshkaBatchTopKTrainingSAE,
                                                        MatryoshkaBatchTopKTrainingSAEConfig)
    base = dict(d_in=d_in, d_sae=a.width, device="cpu")
    if arch == "standard":
        return StandardTrainingSAE(StandardTrainingSAEConfig(l1_coefficient=a.l1, **base))
    if arch == "topk":
        return TopKTrainingSAE(TopKTrainingSAEConfig(k=a.k, rescale_acts_by_decoder_norm=True, **base))
    if arch == "batchtopk":   # SAETrack's BatchTopK has no decoder-norm rescale: both without it
        return BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(k=a.k, rescale_acts_by_decoder_norm=False, **base))
    if arch == "matryoshka":
        return MatryoshkaBatchTopKTrainingSAE(MatryoshkaBatchTopKTrainingSAEConfig(
            k=a.k, rescale_acts_by_decoder_norm=False, matryoshka_widths=list(a.matryoshka_widths) + [a.width], **base))
    if arch == "jumprelu":
        return JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(l0_coefficient=a.l0_coefficient, **base))
    raise ValueError(arch)


class InOrder:
    """Batch i = rows i*B ..< (i+1)*B of `x`, wrapping at the end (what `train-sae --no-shuffle` reads)."""

    def __init__(self, x, batch):
        self.x, self.batch, self.i = x, batch, 0

    def __iter__(self):
        return self

    def __next__(self):
        n = self.x.shape[0]
        idx = (torch.arange(self.batch) + self.i * self.batch) % n
        self.i += 1
        return self.x[idx]


def train_saelens(arch, a, train, out_dir):
    torch.manual_seed(a.seed)
    sae = saelens_sae(arch, a, train.shape[1])
    cfg = SAETrainerConfig(total_training_samples=a.steps * a.batch, train_batch_size_samples=a.batch, lr=a.lr,
                           lr_end=a.lr, lr_scheduler_name="constant", lr_warm_up_steps=0, device="cpu",
                           dead_feature_window=1000, feature_sampling_window=2000, n_checkpoints=0,
                           checkpoint_path=None, save_final_checkpoint=False,
                           logger=LoggingConfig(log_to_wandb=False, eval_every_n_wandb_logs=2**31 - 1))
    trainer = SAETrainer(cfg=cfg, sae=sae, data_provider=InOrder(train, a.batch))
    t0 = time.time()
    trainer.fit()
    seconds = time.time() - t0
    sae.save_inference_model(out_dir)
    return seconds


def train_saetrack(arch, a, acts_file, out_dir, tied=False):
    cmd = [a.saetrack, "train-sae", "--activations", acts_file, "--out", out_dir] + saetrack_flags(arch, a, tied)
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"saetrack failed ({' '.join(cmd)}):\n{r.stdout}\n{r.stderr}")
    return time.time() - t0


@torch.no_grad()
def score(sae_dir, eval_x, eval_feats, true_vectors):
    sae = SAE.load_from_disk(sae_dir)
    latents = sae.encode(eval_x)
    recon = sae.decode(latents)
    w_dec = sae.W_dec.detach()
    ev = 1 - ((recon - eval_x) ** 2).sum() / ((eval_x - eval_x.mean(0)) ** 2).sum()
    f1 = compute_classification_metrics(latents, eval_feats, w_dec, true_vectors)
    return {"architecture_saved": sae.cfg.architecture(), "mcc": mean_correlation_coefficient(w_dec, true_vectors),
            "f1": f1.f1_score, "precision": f1.precision, "recall": f1.recall,
            "l0": float((latents != 0).float().sum(-1).mean()), "dead": int(((latents != 0).sum(0) == 0).sum()),
            "explained_variance": float(ev)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--features", type=int, default=128)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--l0", type=float, default=6.0, help="mean true L0 of the synthetic data")
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--l1", type=float, default=0.3)
    p.add_argument("--l0-coefficient", type=float, default=0.3)
    p.add_argument("--matryoshka-widths", type=lambda s: [int(v) for v in s.split(",")], default=[16, 48])
    p.add_argument("--samples", type=int, default=131072)
    p.add_argument("--eval-samples", type=int, default=8192)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--architectures", default=",".join(ARCHITECTURES))
    p.add_argument("--trainers", default="saetrack,saetrack_tied,saelens",
                   help="saetrack (its defaults), saetrack_tied (set up as SAELens's trainer: --weight-init saelens "
                        "--b-dec-init zeros --clip-grad-norm 1), saelens; e.g. saetrack alone to tune")
    p.add_argument("--saetrack", default=os.path.join(ROOT, ".build", "release", "saetrack"))
    p.add_argument("--out", default="dictionary_recovery.json")
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    train, eval_x, eval_feats, true_vectors = make_data(a)
    true_l0 = float((eval_feats > 0).float().sum(-1).mean())
    results = []
    with tempfile.TemporaryDirectory(prefix="saetrack-recovery-") as tmp:
        acts = os.path.join(tmp, "activations.safetensors")
        # train-sae holds out the last --eval-tokens rows; SAETrack trains on exactly `train`.
        save_file({"activations": torch.cat([train, eval_x]).contiguous()}, acts)
        print(f"synthetic data: {a.features} true features in {a.hidden} dims, true L0 {true_l0:.2f}, "
              f"{a.samples} training rows, {a.steps} steps of {a.batch}, width {a.width}")
        print(f"{'architecture':<12} {'trainer':<14} {'MCC':>6} {'F1':>6} {'L0':>6} {'dead':>5} {'EV':>6} {'s':>6}")
        for arch in a.architectures.split(","):
            row = {"architecture": arch}
            for trainer in a.trainers.split(","):
                out = os.path.join(tmp, f"{arch}-{trainer}")
                seconds = (train_saelens(arch, a, train, out) if trainer == "saelens"
                           else train_saetrack(arch, a, acts, out, tied=trainer == "saetrack_tied"))
                s = score(out, eval_x, eval_feats, true_vectors)
                s["seconds"] = seconds
                row[trainer] = s
                print(f"{arch:<12} {trainer:<14} {s['mcc']:6.3f} {s['f1']:6.3f} {s['l0']:6.2f} {s['dead']:5d} "
                      f"{s['explained_variance']:6.3f} {seconds:6.1f}", flush=True)
            results.append(row)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "sae_lens": __import__("sae_lens").__version__, "torch": torch.__version__,
              "settings": {k: v for k, v in vars(a).items() if k not in ("saetrack", "out")}, "true_l0": true_l0,
              "results": results}
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
