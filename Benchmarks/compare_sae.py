"""SAE training step, side by side in one run: SAETrack vs SAELens (and a plain torch transcription
of SAE-Track's step) on PyTorch CPU, same activations, same initial SAE, same batch and threads,
for every architecture SAETrack trains.

    venv/bin/python Benchmarks/compare_sae.py [--saetrack .build/release/saetrack]
        [--d-in 768] [--d-sae 24576] [--batch 4096] [--l0 64] [--steps 5] [--threads 2]
        [--architectures standard,topk,batchtopk,jumprelu,matryoshka]

Per architecture (SAELens 6.54.12 training classes; k = --l0 for the TopK family):
  standard   StandardTrainingSAE vs SAETrack's ReLU + SAE-Track loss (and the torch transcription)
  topk       TopKTrainingSAE (rescale_acts_by_decoder_norm False) vs `bench sae --architecture topk`
  batchtopk  BatchTopKTrainingSAE (same)                          vs `--architecture batchtopk`
  jumprelu   JumpReLUTrainingSAE ("step" L0 loss, θ from 1e-3)    vs `--architecture jumprelu`
  matryoshka MatryoshkaBatchTopKTrainingSAE (widths d_sae/8, /4, /2, 1) vs `--architecture matryoshka`

1. `saetrack bench sae --export DIR --json DIR/saetrack.json` times the dense encoder GEMM and our
   full step, and exports the activations and the initial SAE (b_enc calibrated for the target L0).
2. Each PyTorch contender runs in its own subprocess (so its peak RSS is its own) from those files:
   - `saelens`:  sae_lens StandardTrainingSAE + sae_lens SAETrainer._train_step (forward, firing
     counters, backward, grad clipping, Adam, schedulers) — what a SAELens user runs;
   - `torch-saetrack`: SAE-Track's forward (MSE / ‖x − mean‖, L1) + backward + parallel-gradient
     removal + Adam, transcribed in plain torch.
3. Prints tokens/s, peak RSS and the ratios; writes DIR/compare.json.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def saelens_sae(architecture, d_in, d_sae, l1, k):
    if architecture == "standard":
        from sae_lens.saes.standard_sae import StandardTrainingSAE, StandardTrainingSAEConfig
        return StandardTrainingSAE(StandardTrainingSAEConfig(d_in=d_in, d_sae=d_sae, l1_coefficient=l1))
    if architecture == "topk":
        from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
        return TopKTrainingSAE(TopKTrainingSAEConfig(d_in=d_in, d_sae=d_sae, k=k, rescale_acts_by_decoder_norm=False))
    if architecture == "batchtopk":
        from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
        return BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=d_in, d_sae=d_sae, k=k, rescale_acts_by_decoder_norm=False))
    if architecture == "matryoshka":
        from sae_lens.saes.matryoshka_batchtopk_sae import (MatryoshkaBatchTopKTrainingSAE,
                                                            MatryoshkaBatchTopKTrainingSAEConfig)
        # The widths `saetrack bench sae` uses (SAEStepBenchmark.matryoshkaWidths): d_sae/8, /4, /2, 1.
        widths = sorted({w for w in (d_sae // 8, d_sae // 4, d_sae // 2, d_sae) if w > 0})
        return MatryoshkaBatchTopKTrainingSAE(MatryoshkaBatchTopKTrainingSAEConfig(
            d_in=d_in, d_sae=d_sae, k=k, matryoshka_widths=widths, rescale_acts_by_decoder_norm=False))
    if architecture == "jumprelu":
        from sae_lens.saes.jumprelu_sae import JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig
        return JumpReLUTrainingSAE(JumpReLUTrainingSAEConfig(d_in=d_in, d_sae=d_sae, jumprelu_init_threshold=1e-3))
    raise ValueError(architecture)


def contender(kind, workdir, steps, threads, l1, architecture="standard", k=64):
    import torch
    from safetensors.torch import load_file
    torch.set_num_threads(threads)
    acts = load_file(os.path.join(workdir, "activations.safetensors"))["activations"]
    init = load_file(os.path.join(workdir, "sae_init.safetensors"))
    d_in, d_sae = init["W_enc"].shape
    batch = acts.shape[0] // (steps + 1)
    batches = [acts[i * batch:(i + 1) * batch] for i in range(steps + 1)]
    times, cpu_times = [], []
    if kind == "saelens":
        from sae_lens.config import SAETrainerConfig
        from sae_lens.training.sae_trainer import SAETrainer
        sae = saelens_sae(architecture, d_in, d_sae, l1, k)
        with torch.no_grad():
            for k in ("W_enc", "b_enc", "W_dec", "b_dec"):
                getattr(sae, k).copy_(init[k])
        cfg = SAETrainerConfig(total_training_samples=batch * (steps + 1), train_batch_size_samples=batch, lr=4e-4,
                               lr_end=4e-5)
        trainer = SAETrainer(cfg=cfg, sae=sae, data_provider=iter(batches))
        for i, b in enumerate(batches):
            t, c = time.perf_counter(), time.process_time()
            trainer._train_step(sae, b)
            if i > 0:
                times.append(time.perf_counter() - t)
                cpu_times.append(time.process_time() - c)
    else:
        W_enc, b_enc, W_dec, b_dec = (init[k].clone().requires_grad_(True) for k in ("W_enc", "b_enc", "W_dec", "b_dec"))
        opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=4e-4)
        for i, x in enumerate(batches):
            t, c = time.perf_counter(), time.process_time()
            with torch.no_grad():
                W_dec.data /= W_dec.data.norm(dim=1, keepdim=True)
            f = torch.relu((x - b_dec) @ W_enc + b_enc)
            x_hat = f @ W_dec + b_dec
            xc = x - x.mean(0, keepdim=True)
            mse = ((x_hat - x) ** 2 / (xc ** 2).sum(-1, keepdim=True).sqrt()).mean()
            loss = mse + l1 * f.norm(p=1, dim=1).mean()
            loss.backward()
            with torch.no_grad():
                W_dec.grad -= (W_dec.grad * W_dec.data).sum(-1, keepdim=True) * W_dec.data
            opt.step()
            opt.zero_grad()
            if i > 0:
                times.append(time.perf_counter() - t)
                cpu_times.append(time.process_time() - c)
    step = sum(times) / len(times)
    step_cpu = sum(cpu_times) / len(cpu_times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"kind": kind, "step_seconds": step, "tokens_per_second": batch / step, "peak_resident_bytes": peak,
                      "step_cpu_seconds": step_cpu, "tokens_per_cpu_second": batch / step_cpu,
                      "threads": torch.get_num_threads()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saetrack", default=".build/release/saetrack")
    ap.add_argument("--d-in", type=int, default=768)
    ap.add_argument("--d-sae", type=int, default=24576)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--l0", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--l1", type=float, default=8e-5)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--skip-torch-saetrack", action="store_true")
    ap.add_argument("--architectures", default="standard,topk,batchtopk,jumprelu,matryoshka")
    ap.add_argument("--contender", help=argparse.SUPPRESS)
    ap.add_argument("--architecture", default="standard", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.contender:
        contender(args.contender, args.workdir, args.steps, args.threads, args.l1, args.architecture, args.l0)
        return
    summary = {}
    for architecture in args.architectures.split(","):
        summary[architecture] = compare(args, architecture)
    if len(summary) > 1:
        print(f"\nSummary (SAETrack tokens/s ÷ SAELens tokens/s, same architecture, threads {args.threads}):")
        for a, r in summary.items():
            print(f"  {a:10} {r['wall']:6.2f}× wall  {r['cpu']:6.2f}× per CPU-second   step/GEMM {r['step_over_gemm']:.2f}")


def compare(args, architecture):
    """One architecture: our bench, then each contender in its own subprocess; returns the ratios."""

    workdir = os.path.join(args.workdir, architecture) if args.workdir else tempfile.mkdtemp(prefix=f"compare_sae_{architecture}_")
    env = dict(os.environ, SAETRACK_THREADS=str(args.threads))
    print(f"== {architecture}: saetrack bench sae (threads {args.threads}) ...", file=sys.stderr)
    subprocess.run([args.saetrack, "bench", "sae", "--architecture", architecture, "--d-in", str(args.d_in), "--d-sae", str(args.d_sae),
                    "--batch", str(args.batch), "--l0", str(args.l0), "--steps", str(args.steps),
                    "--threads", str(args.threads), "--export", workdir,
                    "--json", os.path.join(workdir, "saetrack.json")], check=True, env=env)
    ours = json.load(open(os.path.join(workdir, "saetrack.json")))
    results = {"saetrack": ours}
    kinds = ["saelens"] + ([] if args.skip_torch_saetrack or architecture != "standard" else ["torch-saetrack"])
    for kind in kinds:
        print(f"== {kind} ...", file=sys.stderr)
        out = subprocess.run([sys.executable, __file__, "--contender", kind, "--workdir", workdir,
                              "--steps", str(args.steps), "--threads", str(args.threads), "--l1", str(args.l1),
                              "--architecture", architecture, "--l0", str(args.l0)],
                             check=True, capture_output=True, text=True, env=env)
        results[kind] = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"\nSAE training step ({architecture})  d_in {args.d_in}  d_sae {args.d_sae}  batch {args.batch}  L0≈{args.l0}  "
          f"threads {args.threads}")
    print(f"{'':16}{'tokens/s':>10}{'step s':>9}{'tok/CPU-s':>11}{'CPU s':>9}{'peak RSS MB':>13}{'× wall':>8}{'× CPU':>8}")
    us, us_cpu = ours["tokens_per_second"], ours["tokens_per_cpu_second"]
    rows = [("SAETrack", ours)] + [(k, results[k]) for k in kinds]
    for name, r in rows:
        print(f"{name:16}{r['tokens_per_second']:10.0f}{r['step_seconds']:9.3f}{r['tokens_per_cpu_second']:11.0f}"
              f"{r['step_cpu_seconds']:9.3f}{r['peak_resident_bytes'] / 1e6:13.0f}"
              f"{us / r['tokens_per_second']:8.2f}{us_cpu / r['tokens_per_cpu_second']:8.2f}")
    print(f"\nSAETrack step / dense encoder GEMM = {ours['step_over_gemm']:.2f} wall, {ours['step_over_gemm_cpu']:.2f} CPU "
          f"(target ≤ 1.3 ReLU, ≤ 1.2 TopK family; GEMM {ours['encoder_gemm_seconds']:.3f} s wall, {ours['encoder_gemm_cpu_seconds']:.3f} CPU s)")
    print(f"SAETrack vs SAELens: {us / results['saelens']['tokens_per_second']:.2f}× tokens/s wall, "
          f"{us_cpu / results['saelens']['tokens_per_cpu_second']:.2f}× per CPU-second (target ≥ 8)")
    json.dump(results, open(os.path.join(workdir, "compare.json"), "w"), indent=2)
    print(f"results: {os.path.join(workdir, 'compare.json')}")
    return {"wall": us / results["saelens"]["tokens_per_second"],
            "cpu": us_cpu / results["saelens"]["tokens_per_cpu_second"], "step_over_gemm": ours["step_over_gemm"]}


if __name__ == "__main__":
    main()
