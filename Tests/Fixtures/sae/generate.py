"""Fixtures for Tests/SAETrackSAETests: PyTorch / SAELens / scipy oracles for SAETrackSAE.

Run by hand (never by the tests):  venv/bin/python Tests/Fixtures/sae/generate.py [architectures]
(`architectures` regenerates only saelens/, swift_written_architectures and their batches;
`matryoshka` only the Matryoshka cases)

Writes, next to this script:
  standard_<case>.safetensors   a PyTorch transcription of SAE-Track's SparseAutoencoder.forward
                                (Docs/Method.md §3.2, ghost grads §4.3) for a small SAE and batch: inputs,
                                loss terms (metadata), every gradient after the parallel-component
                                removal (§4.1 step 7), and the parameters after one torch Adam step.
  saelens_<case>.safetensors    SAELens v6 StandardTrainingSAE / TopKTrainingSAE (AuxK) training
                                forward pass: loss terms and raw gradients (no projection).
  geometric_median.safetensors  point sets and the minimiser of Σ‖p_i − m‖ found by scipy.optimize.
  saelens_saved_sae/            an SAE saved by sae_lens (cfg.json + sae_weights.safetensors), with
  saelens_saved_encode.safetensors  a batch and sae_lens's encode() of it.
  evaluation.safetensors        numpy reference of SAEEvaluation's metrics.
  saelens/<case>/               SAE directories saved by sae_lens of every inference architecture and
                                input option SAETrack implements (standard, topk with and without
                                rescale_acts_by_decoder_norm, jumprelu, a BatchTopK SAE saved the way
                                SAELens saves it — as jumprelu —, apply_b_dec_to_input false,
                                layer_norm and constant_norm_rescale inputs), and ones SAETrack must
                                refuse by name (gated, expected_average_only_in, a batchtopk training
                                checkpoint); saelens_architectures.safetensors holds, per case, a
                                batch `<case>.x` and sae_lens's `encode` / `decode(encode)` of it (also
                                for ../io/sae/saelens-jumprelu, as `io_jumprelu.*`).
  saelens_batchtopk_<case>.safetensors + saelens/batchtopk_<case>/: SAELens BatchTopKTrainingSAE's
                                training forward on a fixed batch and SAE (BatchTopK codes, MSE,
                                AuxK), raw gradients, the running threshold before and after its
                                update, one torch Adam step, and the jumprelu SAE it saves.
  saelens_jumprelu_step.safetensors: SAELens JumpReLUTrainingSAE ("step" L0 loss, rectangle STE with
                                bandwidth 0.3) forward, loss terms, the gradients of all five
                                parameters (threshold included) and one torch Adam step.
  saelens_jumprelu_quadratic.safetensors: the same with the "quadratic" L0 loss around target_l0 6
                                (Gemma Scope 2: c · mean_b 2/t·(L0_b − t)²).
  saelens_jumprelu_tanh_preact.safetensors: the same with the "tanh" sparsity loss (scale 2.5) and
                                the pre-activation loss (coefficient 0.3) on the latents `dead`;
  saelens_jumprelu_step_ste_preact.safetensors: "step" with jumprelu_ste_to_input and the
                                pre-activation loss; saelens_jumprelu_quadratic_ste.safetensors:
                                "quadratic" with jumprelu_ste_to_input (`python generate.py jumprelu_options`).
  saelens_clip_grad_norm.safetensors: torch's clip_grad_norm_(max_norm 1) of the jumprelu_step
                                gradients (`python generate.py clip`).
  saelens_l0_warm_up.safetensors: the l0 coefficient SAELens's trainer uses at steps 0..6 with
                                l0_warm_up_steps 4 (its CoefficientScheduler).
  saelens_matryoshka_<case>.safetensors + saelens/matryoshka_<case>/: SAELens
                                MatryoshkaBatchTopKTrainingSAE (widths 8, 20, 40) as the BatchTopK
                                cases, plus each inner level's loss `inner_mse_<width>`, and
                                sae_lens's encode of another batch with the jumprelu SAE it saves;
      swift_written_matryoshka.safetensors: sae_lens's encode of that batch with the SAE SAETrack
      trained one step from it (swift_written_training/matryoshka_plain, written by
      `SAETRACK_WRITE_FIXTURES=1 swift test --filter MatryoshkaTests`).
  saelens_<case>.safetensors + saelens/<case>/ for RESCALE_AUX_CASES (`python generate.py rescale_aux`):
      BatchTopK and Matryoshka with rescale_acts_by_decoder_norm (non-unit decoder rows; the saved
      jumprelu directory has the norms folded in), Matryoshka with use_matryoshka_aux_loss (AuxK per
      level), with and without the rescale; dead latents in several levels; as the cases above, plus
      sae_lens's encode of `encode_x` with the directory it saved. swift_written_<case>.safetensors:
      sae_lens's encode of that batch with the SAE SAETrack trained one step from it and saved
      (swift_written_training/<case>, written by `SAETRACK_WRITE_FIXTURES=1 swift test --filter
      TopKFamilyOptionsTests`, then rerun).
  saelens_topk_rescale_auxk.safetensors: TopKTrainingSAE with rescale_acts_by_decoder_norm (non-unit
                                decoder rows) and AuxK, as saelens_<case> above.
  swift_written/<case>/ + swift_written_architectures.safetensors: the same SAEs re-saved by
      SAETrack (`SAETRACK_WRITE_FIXTURES=1 swift test --filter writesFixtureDirectories`), opened
      here with sae_lens.SAE.load_from_disk; per case the architecture it reports and its encode of
      the batch. The Swift test checks that SAETrack still writes those exact bytes.
  swift_input_activations.safetensors  activations for the Swift-written SAE below.
  swift_written_check.safetensors      if swift_written_sae/ exists (written by
      `saetrack train-sae --activations Tests/Fixtures/sae/swift_input_activations.safetensors
       --out Tests/Fixtures/sae/swift_written_sae --d-sae 40 --steps 30 --batch-size 64 --warmup 5 --lr 1e-3
       --buffer-tokens 256 --l1 1e-3`, then rerun this script): sae_lens.SAE.load_from_disk opens
      it and encodes a batch; the Swift test encodes the same batch and compares.
"""
import json
import os
import shutil

import numpy as np
import scipy.optimize
import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
np.random.seed(0)

D_IN, D_SAE, B = 12, 40, 16


def t32(x):
    return x.detach().to(torch.float32).contiguous().clone()


def random_params(unit_rows=True):
    W_enc = torch.randn(D_IN, D_SAE) * 0.4
    b_enc = torch.randn(D_SAE) * 0.3 - 0.2
    W_dec = torch.randn(D_SAE, D_IN)
    W_dec = W_dec / W_dec.norm(dim=1, keepdim=True)
    if not unit_rows:
        W_dec = W_dec * (0.5 + 1.5 * torch.rand(D_SAE, 1))
    b_dec = torch.randn(D_IN) * 0.1
    return [p.clone().requires_grad_(True) for p in (W_enc, b_enc, W_dec, b_dec)]


def saetrack_forward(x, W_enc, b_enc, W_dec, b_dec, l1, w_dec_norm, dead_mask):
    """Transcription of SAE-Track `sae_training/sparse_autoencoder.py::forward` (lp_norm = 1)."""
    sae_in = x - b_dec
    hidden_pre = sae_in @ W_enc + b_enc
    feature_acts = torch.relu(hidden_pre)
    sae_out = feature_acts @ W_dec + b_dec
    x_centred = x - x.mean(dim=0, keepdim=True)
    mse_loss = (sae_out - x) ** 2 / (x_centred ** 2).sum(dim=-1, keepdim=True).sqrt()
    ghost = torch.tensor(0.0)
    if dead_mask is not None and dead_mask.sum() > 0:
        residual = x - sae_out
        residual_centred = residual - residual.mean(dim=0, keepdim=True)
        l2_norm_residual = torch.norm(residual, dim=-1)
        fa_dead = torch.exp(hidden_pre[:, dead_mask])
        ghost_out = fa_dead @ W_dec[dead_mask, :]
        l2_norm_ghost_out = torch.norm(ghost_out, dim=-1)
        norm_scaling_factor = l2_norm_residual / (1e-6 + l2_norm_ghost_out * 2)
        ghost_out = ghost_out * norm_scaling_factor[:, None].detach()
        g = (ghost_out - residual.detach()) ** 2 / (residual_centred.detach() ** 2).sum(dim=-1, keepdim=True).sqrt()
        rescale = (mse_loss / (g + 1e-6)).detach()
        ghost = (rescale * g).mean()
    mse = mse_loss.mean()
    if w_dec_norm == 1:
        sparsity = feature_acts.norm(p=1, dim=1).mean(dim=(0,))
    else:
        decoder_norms = torch.norm(W_dec, dim=1, keepdim=True)
        sparsity = (feature_acts * decoder_norms.squeeze()).norm(p=1, dim=1).mean(dim=(0,))
    l1_loss = l1 * sparsity
    loss = mse + l1_loss + ghost
    l0 = (feature_acts > 0).float().sum(-1).mean()
    return loss, mse, l1_loss, sparsity, ghost, l0


def write(name, tensors, meta):
    save_file({k: t32(v) for k, v in tensors.items()}, os.path.join(HERE, name),
              metadata={k: v if isinstance(v, str) else repr(float(v.detach() if torch.is_tensor(v) else v)) for k, v in meta.items()})
    print("wrote", name)


def standard_case(name, w_dec_norm, dead, seed, lr=1e-3, l1=8e-5 * 200):
    torch.manual_seed(seed)
    x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=(w_dec_norm == 1))
    inputs = {"x": x, "W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}
    inputs = {k: v.detach().clone() for k, v in inputs.items()}  # before Adam updates them in place
    dead_mask = torch.zeros(D_SAE, dtype=torch.bool)
    dead_mask[dead] = True
    loss, mse, l1_loss, sparsity, ghost, l0 = saetrack_forward(
        x, W_enc, b_enc, W_dec, b_dec, l1, w_dec_norm, dead_mask if len(dead) else None)
    loss.backward()
    with torch.no_grad():  # remove_gradient_parallel_to_decoder_directions
        par = (W_dec.grad * W_dec.data).sum(-1)
        W_dec.grad -= par[:, None] * W_dec.data
    grads = {"grad_" + k: v.grad for k, v in (("W_enc", W_enc), ("b_enc", b_enc), ("W_dec", W_dec), ("b_dec", b_dec))}
    opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
    opt.step()
    after = {"after_" + k: v for k, v in (("W_enc", W_enc), ("b_enc", b_enc), ("W_dec", W_dec), ("b_dec", b_dec))}
    write(f"standard_{name}.safetensors",
          {**{k: v.detach() for k, v in inputs.items()}, **grads, **after,
           "dead": torch.tensor(dead, dtype=torch.float32) if len(dead) else torch.zeros(0)},
          {"loss": loss, "mse": mse, "l1": l1_loss, "sparsity": sparsity, "ghost": ghost, "l0": l0,
           "l1_coefficient": l1, "lr": lr, "w_dec_norm": str(w_dec_norm)})


def saelens_case(name, architecture, dead, seed, k=4, rescale=False):
    from sae_lens.saes.sae import TrainStepInput
    from sae_lens.saes.standard_sae import StandardTrainingSAE, StandardTrainingSAEConfig
    from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
    torch.manual_seed(seed)
    if architecture == "standard":
        sae = StandardTrainingSAE(StandardTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, l1_coefficient=0.02))
        coefficients = {"l1": 0.02}
    else:
        sae = TopKTrainingSAE(TopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=k, rescale_acts_by_decoder_norm=rescale,
                                                    aux_loss_coefficient=1.0))
        coefficients = {}
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=(architecture == "topk" and not rescale))
    with torch.no_grad():
        sae.W_enc.copy_(W_enc); sae.b_enc.copy_(b_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
    x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    dead_mask = torch.zeros(D_SAE, dtype=torch.bool)
    dead_mask[dead] = True
    out = sae.training_forward_pass(TrainStepInput(sae_in=x, coefficients=coefficients,
                                                   dead_neuron_mask=dead_mask if len(dead) else None,
                                                   n_training_steps=0, is_logging_step=False))
    out.loss.backward()
    losses = {k: float(v.detach()) for k, v in out.losses.items()}
    meta = {"loss": float(out.loss.detach()), "mse": losses["mse_loss"], "k": float(k),
            "l1": losses.get("l1_loss", 0.0), "aux_k": losses.get("auxiliary_reconstruction_loss", 0.0),
            "l1_coefficient": 0.02, "l0": float((out.feature_acts > 0).float().sum(-1).mean())}
    write(f"saelens_{name}.safetensors",
          {"x": x, "W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec,
           "feature_acts": out.feature_acts.detach(),
           "grad_W_enc": sae.W_enc.grad, "grad_b_enc": sae.b_enc.grad, "grad_W_dec": sae.W_dec.grad,
           "grad_b_dec": sae.b_dec.grad,
           "dead": torch.tensor(dead, dtype=torch.float32) if len(dead) else torch.zeros(0)}, meta)


def geometric_median_fixture():
    tensors = {}
    for i, (n, d) in enumerate([(7, 2), (25, 3), (40, 5)]):
        pts = np.random.randn(n, d) * np.random.uniform(0.5, 3, size=d) + np.random.randn(d)
        pts[0] += 10  # an outlier, where median and mean differ

        def f(m):
            return np.linalg.norm(pts - m, axis=1).sum()

        res = scipy.optimize.minimize(f, pts.mean(0), method="Nelder-Mead",
                                      options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 200000, "maxfev": 200000})
        res = scipy.optimize.minimize(f, res.x, method="BFGS", options={"gtol": 1e-10})
        tensors[f"points_{i}"] = torch.tensor(pts)
        tensors[f"median_{i}"] = torch.tensor(res.x)
        tensors[f"objective_{i}"] = torch.tensor([res.fun])
    write("geometric_median.safetensors", tensors, {})


def saelens_saved_sae():
    from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig
    torch.manual_seed(7)
    sae = StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE))
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=True)
    with torch.no_grad():
        sae.W_enc.copy_(W_enc); sae.b_enc.copy_(b_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
    path = os.path.join(HERE, "saelens_saved_sae")
    shutil.rmtree(path, ignore_errors=True)
    sae.save_model(path)
    for extra in os.listdir(path):
        if extra not in ("cfg.json", "sae_weights.safetensors"):
            os.remove(os.path.join(path, extra))
    x = torch.randn(B, D_IN) * 1.5
    with torch.no_grad():
        f = sae.encode(x)
        xhat = sae.decode(f)
    write("saelens_saved_encode.safetensors", {"x": x, "feature_acts": f, "reconstruction": xhat}, {})

    # Evaluation metrics in numpy on a larger batch (SAEEvaluation's oracle).
    xe = (torch.randn(64, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)).numpy().astype(np.float64)
    W_enc, b_enc, W_dec, b_dec = (t.detach().numpy().astype(np.float64) for t in (sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec))
    fe = np.maximum((xe - b_dec) @ W_enc + b_enc, 0)
    xh = fe @ W_dec + b_dec
    err2 = ((xh - xe) ** 2).sum(1)
    cen2 = ((xe - xe.mean(0)) ** 2).sum(1)
    freq = (fe > 0).mean(0)
    write("evaluation.safetensors", {"x": torch.tensor(xe), "firing_frequency": torch.tensor(freq)}, {
        "l0": (fe > 0).sum(1).mean(), "mse": ((xh - xe) ** 2).mean(),
        "sae_track_mse": (((xh - xe) ** 2) / np.sqrt(cen2)[:, None]).mean(),
        "explained_variance": 1 - err2.mean() / cen2.mean(),
        "legacy_explained_variance": (1 - err2 / cen2).mean(),
        "l2_ratio": (np.linalg.norm(xh, axis=1) / np.linalg.norm(xe, axis=1)).mean(),
        "dead_fraction": (freq == 0).mean(), "dense_fraction": (freq > 0.1).mean(),
        "histogram_bin_of_first": np.floor((np.log10(freq[0] + 1e-10) + 10) / 10 * 50)})


def swift_written():
    torch.manual_seed(11)
    acts = torch.randn(600, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    save_file({"activations": acts}, os.path.join(HERE, "swift_input_activations.safetensors"))
    path = os.path.join(HERE, "swift_written_sae")
    if not os.path.isdir(path):
        print("swift_written_sae/ missing: run saetrack train-sae (see the docstring), then rerun")
        return
    from sae_lens import SAE
    sae = SAE.load_from_disk(path, device="cpu")
    x = torch.randn(B, D_IN) * 1.5
    with torch.no_grad():
        f = sae.encode(x)
    write("swift_written_check.safetensors", {"x": x, "saelens_feature_acts": f}, {"architecture": sae.cfg.architecture()})


ARCH_CASES = ["standard", "standard_no_bdec", "standard_layer_norm", "standard_constant_norm",
              "topk", "topk_rescale", "jumprelu", "batchtopk_as_jumprelu"]
REFUSED_CASES = ["gated", "expected_average", "batchtopk_training"]


def saelens_architectures():
    """SAELens-written directories of each architecture, and its encode / decode of a batch."""
    from sae_lens import SAE
    from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
    from sae_lens.saes.gated_sae import GatedSAE, GatedSAEConfig
    from sae_lens.saes.jumprelu_sae import JumpReLUSAE, JumpReLUSAEConfig
    from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig
    from sae_lens.saes.topk_sae import TopKSAE, TopKSAEConfig
    root = os.path.join(HERE, "saelens")
    shutil.rmtree(root, ignore_errors=True)
    tensors = {}

    def fill(sae, seed, unit_rows=True):
        torch.manual_seed(seed)
        W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=unit_rows)
        with torch.no_grad():
            sae.W_enc.copy_(W_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
            if getattr(sae, "b_enc", None) is not None:  # gated SAEs have b_gate / b_mag instead
                sae.b_enc.copy_(b_enc)
        return sae

    def record(name, sae):
        g = torch.Generator().manual_seed(sum(map(ord, name)))
        x = torch.randn(B, D_IN, generator=g) * 1.5 + torch.linspace(-1, 1, D_IN)
        with torch.no_grad():
            f = sae.encode(x)
            xhat = sae.decode(f)
        tensors[f"{name}.x"] = x
        tensors[f"{name}.feature_acts"] = f
        tensors[f"{name}.reconstruction"] = xhat

    def save(name, sae, inference=False):
        path = os.path.join(root, name)
        (sae.save_inference_model if inference else sae.save_model)(path)
        for extra in os.listdir(path):
            if extra not in ("cfg.json", "sae_weights.safetensors"):
                os.remove(os.path.join(path, extra))
        return path

    save("standard", fill(StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE)), 21))
    for name, kw in [("standard_no_bdec", {"apply_b_dec_to_input": False}),
                     ("standard_layer_norm", {"normalize_activations": "layer_norm"}),
                     ("standard_constant_norm", {"normalize_activations": "constant_norm_rescale"})]:
        sae = fill(StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE, **kw)), 22)
        if "normalize_activations" in kw:  # the normalised inputs have norm √d_in: scale the encoder to fire
            with torch.no_grad():
                sae.b_dec.mul_(0.3)
        save(name, sae)
    topk = fill(TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=5)), 23)
    save("topk", topk)
    topk_r = fill(TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=5, rescale_acts_by_decoder_norm=True)), 24,
                  unit_rows=False)
    save("topk_rescale", topk_r)
    jr = fill(JumpReLUSAE(JumpReLUSAEConfig(d_in=D_IN, d_sae=D_SAE)), 25)
    with torch.no_grad():
        jr.threshold.copy_(torch.rand(D_SAE) * 0.6)
    save("jumprelu", jr)
    # BatchTopK as SAELens saves it for inference: a JumpReLU SAE whose threshold is the running
    # topk_threshold, after folding the decoder norms (rescale_acts_by_decoder_norm).
    bt = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4, rescale_acts_by_decoder_norm=True))
    fill(bt, 26, unit_rows=False)
    bt.topk_threshold = torch.tensor(0.35, dtype=torch.double)
    save("batchtopk_as_jumprelu", bt, inference=True)
    save("batchtopk_training", bt)
    for name in ARCH_CASES:  # sae_lens's own encode of each directory as it loads it
        sae = SAE.load_from_disk(os.path.join(root, name))
        record(name, sae)
    io_jr = SAE.load_from_disk(os.path.join(HERE, "..", "io", "sae", "saelens-jumprelu"))
    g = torch.Generator().manual_seed(3)
    x = torch.randn(B, 16, generator=g) * 0.3
    with torch.no_grad():
        tensors["io_jumprelu.x"] = x
        tensors["io_jumprelu.feature_acts"] = io_jr.encode(x)
    # Refused by SAETrack (each by name).
    save("gated", fill(GatedSAE(GatedSAEConfig(d_in=D_IN, d_sae=D_SAE)), 27))
    save("expected_average", fill(StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE,
                                                                normalize_activations="expected_average_only_in")), 28))
    write("saelens_architectures.safetensors", tensors, {"cases": ",".join(ARCH_CASES)})


def swift_written_architectures():
    from sae_lens import SAE
    root = os.path.join(HERE, "swift_written")
    if not os.path.isdir(root):
        print("swift_written/ missing: run SAETRACK_WRITE_FIXTURES=1 swift test --filter writesFixtureDirectories, then rerun")
        return
    from safetensors.torch import load_file
    batches = load_file(os.path.join(HERE, "saelens_architectures.safetensors"))
    tensors, meta = {}, {}
    for name in sorted(os.listdir(root)):
        sae = SAE.load_from_disk(os.path.join(root, name))
        x = batches[f"{name}.x"]
        with torch.no_grad():
            f = sae.encode(x)
            tensors[f"{name}.feature_acts"] = f
            tensors[f"{name}.reconstruction"] = sae.decode(f)
        meta[f"{name}.architecture"] = sae.cfg.architecture()
        print("sae_lens opened", name, "as", type(sae).__name__)
    write("swift_written_architectures.safetensors", tensors, meta)


def backward_step_and_save(sae, out, name, lr):
    """Backward of a SAELens training forward `out`, one torch Adam step over the four weights, and
    the inference SAE SAELens saves into saelens/<name>: (losses, grads, params after, path)."""
    out.loss.backward()
    losses = {k_: float(v.detach()) for k_, v in out.losses.items()}
    grads = {"grad_" + n: getattr(sae, n).grad.clone() for n in ("W_enc", "b_enc", "W_dec", "b_dec")}
    opt = torch.optim.Adam([sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec], lr=lr)
    opt.step()
    after = {"after_" + n: getattr(sae, n).detach().clone() for n in ("W_enc", "b_enc", "W_dec", "b_dec")}
    path = os.path.join(HERE, "saelens", name)
    sae.save_inference_model(path)
    for extra in os.listdir(path):
        if extra not in ("cfg.json", "sae_weights.safetensors"):
            os.remove(os.path.join(path, extra))
    return losses, grads, after, path


def saelens_batchtopk_case(name, dead, seed, k=4, lr=1e-3, threshold=0.2, rescale=False):
    """SAELens BatchTopKTrainingSAE (rescale_acts_by_decoder_norm as given; with it the decoder rows
    are not unit): training forward pass on a fixed batch, loss terms, raw gradients, the running
    threshold after its update, the parameters after one torch Adam step, and the inference SAE SAELens
    saves from it (a jumprelu directory; with the rescale, the decoder norms folded into it, and
    sae_lens's encode of another batch with it, `encode_x` / `saved_encode`)."""
    from sae_lens.saes.sae import TrainStepInput
    from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
    torch.manual_seed(seed)
    sae = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=k, rescale_acts_by_decoder_norm=rescale,
                                                          aux_loss_coefficient=1.0, topk_threshold_lr=0.01))
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=not rescale)
    with torch.no_grad():
        sae.W_enc.copy_(W_enc); sae.b_enc.copy_(b_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
    sae.topk_threshold = torch.tensor(threshold, dtype=torch.double)
    x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    dead_mask = torch.zeros(D_SAE, dtype=torch.bool)
    dead_mask[dead] = True
    inputs = {"x": x, "W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}
    inputs = {k_: v.detach().clone() for k_, v in inputs.items()}
    out = sae.training_forward_pass(TrainStepInput(sae_in=x, coefficients={},
                                                   dead_neuron_mask=dead_mask if len(dead) else None,
                                                   n_training_steps=0, is_logging_step=False))
    losses, grads, after, path = backward_step_and_save(sae, out, name, lr)
    extra, extra_meta = {}, {}
    if rescale:
        extra, extra_meta = saved_encode(path)
    write(f"saelens_{name}.safetensors",
          {**inputs, **grads, **after, **extra, "feature_acts": out.feature_acts.detach(),
           "dead": torch.tensor(dead, dtype=torch.float32) if len(dead) else torch.zeros(0)},
          {"loss": float(out.loss.detach()), "mse": losses["mse_loss"], "aux_k": losses["auxiliary_reconstruction_loss"],
           "k": float(k), "lr": lr, "threshold_before": threshold,
           "threshold_after": float(sae.topk_threshold), "topk_threshold_lr": 0.01,
           "rescale_acts_by_decoder_norm": str(rescale).lower(), **extra_meta,
           "l0": float((out.feature_acts > 0).float().sum(-1).mean())})


def saelens_matryoshka_case(name, dead, seed, widths=(8, 20, 40), k=4, lr=1e-3, threshold=0.2, rescale=False,
                            aux_loss=False):
    """SAELens MatryoshkaBatchTopKTrainingSAE (use_matryoshka_aux_loss and rescale_acts_by_decoder_norm
    as given, default False): as the BatchTopK case, plus every inner prefix level's reconstruction
    loss `inner_mse_loss_<width>` (each `sum_j (x_hat_w - x)^2` averaged over the batch, x_hat_w =
    b_dec + the first `width` features' codes decoded), which the training loss adds to the outer MSE
    and AuxK. With use_matryoshka_aux_loss, `aux_k` is SAELens's per-level AuxK sum
    (`calculate_matryoshka_aux_loss`)."""
    from sae_lens.saes.sae import TrainStepInput
    from sae_lens.saes.matryoshka_batchtopk_sae import (MatryoshkaBatchTopKTrainingSAE,
                                                        MatryoshkaBatchTopKTrainingSAEConfig)
    torch.manual_seed(seed)
    sae = MatryoshkaBatchTopKTrainingSAE(MatryoshkaBatchTopKTrainingSAEConfig(
        d_in=D_IN, d_sae=D_SAE, k=k, matryoshka_widths=list(widths), rescale_acts_by_decoder_norm=rescale,
        aux_loss_coefficient=1.0, topk_threshold_lr=0.01, use_matryoshka_aux_loss=aux_loss))
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=False)
    with torch.no_grad():
        sae.W_enc.copy_(W_enc); sae.b_enc.copy_(b_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
    sae.topk_threshold = torch.tensor(threshold, dtype=torch.double)
    x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    dead_mask = torch.zeros(D_SAE, dtype=torch.bool)
    dead_mask[dead] = True
    inputs = {"x": x, "W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}
    inputs = {k_: v.detach().clone() for k_, v in inputs.items()}
    out = sae.training_forward_pass(TrainStepInput(sae_in=x, coefficients={},
                                                   dead_neuron_mask=dead_mask if len(dead) else None,
                                                   n_training_steps=0, is_logging_step=False))
    losses, grads, after, path = backward_step_and_save(sae, out, name, lr)
    from sae_lens import SAE
    loaded = SAE.load_from_disk(path)
    enc_x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    with torch.no_grad():
        loaded_codes = loaded.encode(enc_x)
    inner = {f"inner_mse_{w}": losses[f"inner_mse_loss_{w}"] for w in widths[:-1]}
    write(f"saelens_{name}.safetensors",
          {**inputs, **grads, **after, "feature_acts": out.feature_acts.detach(),
           "dead": torch.tensor(dead, dtype=torch.float32) if len(dead) else torch.zeros(0),
           "encode_x": enc_x, "saved_encode": loaded_codes},
          {"loss": float(out.loss.detach()), "mse": losses["mse_loss"], "aux_k": losses["auxiliary_reconstruction_loss"],
           **inner, "widths": ",".join(map(str, widths)), "saved_architecture": loaded.cfg.architecture(),
           "k": float(k), "lr": lr, "threshold_before": threshold,
           "threshold_after": float(sae.topk_threshold), "topk_threshold_lr": 0.01,
           **({"rescale_acts_by_decoder_norm": "true"} if rescale else {}),
           **({"use_matryoshka_aux_loss": "true"} if aux_loss else {}),
           "l0": float((out.feature_acts > 0).float().sum(-1).mean())})


def saved_encode(path):
    """sae_lens's encode of a fresh batch with the inference SAE it saved at `path`:
    ({"encode_x", "saved_encode"}, {"saved_architecture"})."""
    from sae_lens import SAE
    loaded = SAE.load_from_disk(path)
    enc_x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    with torch.no_grad():
        codes = loaded.encode(enc_x)
    return {"encode_x": enc_x, "saved_encode": codes}, {"saved_architecture": loaded.cfg.architecture()}


# SAELens training cases of issue #14's options: the decoder-norm rescale for BatchTopK and
# Matryoshka, and Matryoshka's per-level AuxK (use_matryoshka_aux_loss). The dead latents spread
# over the levels (8, 20, 40): some with fewer than d_in/2 = 6 (scale < 1), some with more
# (k_aux = 6 < n_dead), and, for matryoshka_aux_loss, a level with none (skipped).
RESCALE_AUX_CASES = ["batchtopk_rescale_auxk", "matryoshka_rescale_auxk", "matryoshka_aux_loss",
                     "matryoshka_aux_loss_rescale"]


def rescale_aux_cases():
    saelens_batchtopk_case("batchtopk_rescale_auxk", dead=list(range(2, 40, 3)), seed=41, rescale=True)
    saelens_matryoshka_case("matryoshka_rescale_auxk", dead=list(range(1, 40, 3)), seed=42, rescale=True)
    saelens_matryoshka_case("matryoshka_aux_loss", dead=[1, 5, 9, 10, 12, 13, 15, 17, 18, 19], seed=43,
                            aux_loss=True)
    saelens_matryoshka_case("matryoshka_aux_loss_rescale", dead=[2, 11, 21, 22, 25, 30, 33, 38, 39], seed=44,
                            rescale=True, aux_loss=True)
    for name in RESCALE_AUX_CASES:
        swift_written_training_check(name, f"swift_written_{name}.safetensors")


def swift_written_training_check(name, out):
    """The SAE SAETrack trained one step from saelens_<name> and saved (swift_written_training/<name>,
    written by `SAETRACK_WRITE_FIXTURES=1 swift test --filter TopKFamilyOptionsTests`):
    sae_lens opens it and encodes that fixture's `encode_x`, written to `out`."""
    from sae_lens import SAE
    from safetensors.torch import load_file
    path = os.path.join(HERE, "swift_written_training", name)
    if not os.path.isdir(path):
        print(f"swift_written_training/{name} missing: run the Swift test with SAETRACK_WRITE_FIXTURES=1, then rerun")
        return
    sae = SAE.load_from_disk(path)
    x = load_file(os.path.join(HERE, f"saelens_{name}.safetensors"))["encode_x"]
    with torch.no_grad():
        f = sae.encode(x)
    write(out, {"feature_acts": f}, {"architecture": sae.cfg.architecture()})


def swift_written_matryoshka():
    """The Matryoshka SAE SAETrack trained one step from saelens_matryoshka_plain and saved
    (swift_written_training/matryoshka_plain, written by `SAETRACK_WRITE_FIXTURES=1 swift test
    --filter MatryoshkaTests`): sae_lens opens it and encodes that fixture's `encode_x`."""
    from sae_lens import SAE
    from safetensors.torch import load_file
    path = os.path.join(HERE, "swift_written_training", "matryoshka_plain")
    if not os.path.isdir(path):
        print("swift_written_training/matryoshka_plain missing: run the Swift test with SAETRACK_WRITE_FIXTURES=1, then rerun")
        return
    sae = SAE.load_from_disk(path)
    x = load_file(os.path.join(HERE, "saelens_matryoshka_plain.safetensors"))["encode_x"]
    with torch.no_grad():
        f = sae.encode(x)
    write("swift_written_matryoshka.safetensors", {"feature_acts": f}, {"architecture": sae.cfg.architecture()})


def saelens_jumprelu_case(name, seed, bandwidth=0.3, l0=0.5, lr=1e-3, mode="step", target_l0=None,
                          tanh_scale=4.0, pre_act=None, dead=(), ste_to_input=False):
    """SAELens JumpReLUTrainingSAE (sparsity mode `mode`: "step", the DeepMind L0 loss, "quadratic"
    or "tanh"; optionally Anthropic's pre-activation loss on the `dead` latents and the STE passed to
    the pre-activations): training forward on a fixed batch and SAE with per-feature thresholds, loss
    terms, raw gradients of all five parameters (threshold included) and one torch Adam step over them."""
    from sae_lens.saes.sae import TrainStepInput
    from sae_lens.saes.jumprelu_sae import JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig
    torch.manual_seed(seed)
    sae = JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, jumprelu_bandwidth=bandwidth,
                                                        jumprelu_sparsity_loss_mode=mode, l0_coefficient=l0,
                                                        target_l0=target_l0, jumprelu_tanh_scale=tanh_scale,
                                                        pre_act_loss_coefficient=pre_act,
                                                        jumprelu_ste_to_input=ste_to_input))
    W_enc, b_enc, W_dec, b_dec = random_params(unit_rows=False)
    threshold = torch.rand(D_SAE) * 0.5
    with torch.no_grad():
        sae.W_enc.copy_(W_enc); sae.b_enc.copy_(b_enc); sae.W_dec.copy_(W_dec); sae.b_dec.copy_(b_dec)
        sae.threshold.copy_(threshold)
    x = torch.randn(B, D_IN) * 1.5 + torch.linspace(-1, 1, D_IN)
    inputs = {"x": x, "W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec, "threshold": threshold}
    inputs = {k: v.detach().clone() for k, v in inputs.items()}
    dead_mask = torch.zeros(D_SAE, dtype=torch.bool)
    dead_mask[list(dead)] = True
    out = sae.training_forward_pass(TrainStepInput(sae_in=x, coefficients={"l0": l0},
                                                   dead_neuron_mask=dead_mask if dead else None,
                                                   n_training_steps=0, is_logging_step=False))
    out.loss.backward()
    names = ("W_enc", "b_enc", "W_dec", "b_dec", "threshold")
    grads = {"grad_" + n: getattr(sae, n).grad.clone() for n in names}
    opt = torch.optim.Adam([getattr(sae, n) for n in names], lr=lr)
    opt.step()
    after = {"after_" + n: getattr(sae, n).detach().clone() for n in names}
    pre = (x - b_dec) @ W_enc + b_enc
    window = (((pre - threshold) / bandwidth > -0.5) & ((pre - threshold) / bandwidth < 0.5)).sum()
    losses = {k: float(v.detach()) for k, v in out.losses.items()}
    extra = {}
    if dead:
        extra["dead"] = torch.tensor(list(dead), dtype=torch.float32)
    meta = {"loss": float(out.loss.detach()), "mse": losses["mse_loss"], "l0_loss": losses["l0_loss"],
            "bandwidth": bandwidth, "l0_coefficient": l0, "lr": lr, "window_entries": float(window),
            "mode": mode, "target_l0": float(target_l0 or 0),
            "l0": float((out.feature_acts > 0).float().sum(-1).mean())}
    if mode == "tanh":
        meta["tanh_scale"] = tanh_scale
    if pre_act is not None:
        meta["pre_act_loss_coefficient"] = pre_act
        meta["pre_act_loss"] = losses["pre_act_loss"]
    if ste_to_input:
        meta["ste_to_input"] = "true"
    write(f"saelens_{name}.safetensors", {**inputs, **grads, **after, **extra, "feature_acts": out.feature_acts.detach()},
          meta)


def saelens_l0_warm_up(warm_up_steps=4, steps=7):
    """The l0 coefficient SAELens's trainer passes at steps 0..<steps with l0_warm_up_steps
    (`CoefficientScheduler`, read before each step and advanced after it)."""
    from sae_lens.training.optim import CoefficientScheduler
    sched = CoefficientScheduler(warm_up_steps=warm_up_steps, final_value=0.5)
    values = []
    for _ in range(steps):
        values.append(sched.value)
        sched.step()
    write("saelens_l0_warm_up.safetensors", {"values": torch.tensor(values)},
          {"warm_up_steps": warm_up_steps, "final_value": 0.5})


def jumprelu_options_cases():
    """The remaining JumpReLUTrainingSAE options: tanh sparsity with the pre-activation loss, and the
    step loss with the STE to the pre-activations and the pre-activation loss."""
    saelens_jumprelu_case("jumprelu_tanh_preact", seed=38, mode="tanh", tanh_scale=2.5, pre_act=0.3,
                          dead=list(range(1, 40, 4)))
    saelens_jumprelu_case("jumprelu_step_ste_preact", seed=39, mode="step", pre_act=0.2,
                          dead=list(range(2, 40, 5)), ste_to_input=True)
    saelens_jumprelu_case("jumprelu_quadratic_ste", seed=40, mode="quadratic", target_l0=6.0, ste_to_input=True)
    saelens_l0_warm_up()


import sys

if __name__ == "__main__" and sys.argv[1:] != ["clip"]:
    if sys.argv[1:] == ["jumprelu_options"]:  # only the tanh / pre-activation / STE-to-input fixtures
        jumprelu_options_cases()
        sys.exit(0)
    if sys.argv[1:] == ["jumprelu_quadratic"]:
        saelens_jumprelu_case("jumprelu_quadratic", seed=37, mode="quadratic", target_l0=6.0)
        sys.exit(0)
    if sys.argv[1:] == ["rescale_aux"]:  # only the rescale / Matryoshka-AuxK cases (RESCALE_AUX_CASES)
        rescale_aux_cases()
        sys.exit(0)
    if sys.argv[1:] == ["matryoshka"]:  # only the Matryoshka fixtures
        saelens_matryoshka_case("matryoshka_auxk", dead=list(range(0, 40, 3)), seed=35)
        saelens_matryoshka_case("matryoshka_plain", dead=[], seed=36)
        swift_written_matryoshka()
        sys.exit(0)
    if sys.argv[1:] == ["architectures"]:  # only the architecture fixtures (the others stay as committed)
        saelens_architectures()
        saelens_batchtopk_case("batchtopk_auxk", dead=list(range(1, 40, 3)), seed=31)
        saelens_batchtopk_case("batchtopk_plain", dead=[], seed=32)
        saelens_jumprelu_case("jumprelu_step", seed=33)
        saelens_jumprelu_case("jumprelu_quadratic", seed=37, mode="quadratic", target_l0=6.0)
        saelens_case("topk_rescale_auxk", "topk", dead=list(range(2, 40, 3)), seed=34, rescale=True)
        saelens_matryoshka_case("matryoshka_auxk", dead=list(range(0, 40, 3)), seed=35)
        saelens_matryoshka_case("matryoshka_plain", dead=[], seed=36)
        swift_written_architectures()
        sys.exit(0)
    standard_case("plain", w_dec_norm=1, dead=[], seed=1)
    standard_case("ghost", w_dec_norm=1, dead=[3, 7, 8, 20, 31, 39], seed=2)
    standard_case("weighted", w_dec_norm=0, dead=[], seed=3)
    saelens_case("standard", "standard", dead=[], seed=4)
    saelens_case("topk_auxk", "topk", dead=list(range(0, 40, 3)), seed=5)       # 14 dead ≥ d_in/2: scale 1
    saelens_case("topk_auxk_few", "topk", dead=[5, 17, 33], seed=6)              # 3 dead < d_in/2: scale 0.5
    geometric_median_fixture()
    saelens_saved_sae()
    swift_written()
    saelens_architectures()
    saelens_batchtopk_case("batchtopk_auxk", dead=list(range(1, 40, 3)), seed=31)
    saelens_batchtopk_case("batchtopk_plain", dead=[], seed=32)
    saelens_jumprelu_case("jumprelu_step", seed=33)
    saelens_case("topk_rescale_auxk", "topk", dead=list(range(2, 40, 3)), seed=34, rescale=True)
    swift_written_architectures()
    saelens_jumprelu_case("jumprelu_quadratic", seed=37, mode="quadratic", target_l0=6.0)
    saelens_matryoshka_case("matryoshka_auxk", dead=list(range(0, 40, 3)), seed=35)
    saelens_matryoshka_case("matryoshka_plain", dead=[], seed=36)
    swift_written_matryoshka()
    jumprelu_options_cases()
    rescale_aux_cases()


def clip_grad_norm_case():
    """torch.nn.utils.clip_grad_norm_(max_norm=1), as SAELens's trainer applies it, on the gradients
    of the saelens_jumprelu_step fixture (all five parameters)."""
    from safetensors.torch import load_file
    f = load_file(os.path.join(HERE, "saelens_jumprelu_step.safetensors"))
    names = ("W_enc", "b_enc", "W_dec", "b_dec", "threshold")
    params = [torch.nn.Parameter(f[n].clone()) for n in names]
    for p, n in zip(params, names):
        p.grad = f["grad_" + n].clone()
    total = torch.nn.utils.clip_grad_norm_(params, 1.0)
    write("saelens_clip_grad_norm.safetensors", {"clipped_" + n: p.grad for p, n in zip(params, names)},
          {"total_norm": float(total), "max_norm": 1.0})


if __name__ == "__main__" and sys.argv[1:] == ["clip"]:
    clip_grad_norm_case()
