#!/usr/bin/env python3
"""SAETrack's LM forward beside Hugging Face transformers on PyTorch CPU, in one run, same threads.

    venv/bin/python Benchmarks/compare_lm_forward.py [--threads 2] [--rows 16] [--context 128]
        [--models pythia70m pythia160m] [--json out.json]

Models: Pythia-70m's shape (GPT-NeoX, d_model 512, 6 layers, 8 heads, MLP 2048) with the hook at
blocks.3.hook_resid_pre, and Pythia-160m's (d_model 768, 12 layers, 12 heads, MLP 3072) with the hook
at blocks.4.hook_resid_pre; both vocab 50304, rotary 0.25, random weights, float32, rows × context
random tokens. Measurements, in tokens/s:

  swift hook   `saetrack bench lm`: activations at the hook (the blocks before it only)
  swift full   `saetrack bench lm`: full forward with logits
  torch trunc  transformers GPTNeoXModel truncated to the hook's block (the same computation as `swift hook`)
  torch full   what an HF user runs today: GPTNeoXForCausalLM(..., output_hidden_states=True), all layers + logits

Rounds alternate Swift and torch so machine-load changes hit both; the best of every
measurement is kept. Targets (Docs/Performance.md): swift hook >= 1.3 x torch trunc and >= 5 x torch full.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM, GPTNeoXModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# name: (d_model, layers, heads, hook block)
SHAPES = {"pythia70m": (512, 6, 8, 3), "pythia160m": (768, 12, 12, 4)}


def pythia_config(shape, layers):
    d, _, heads, _ = SHAPES[shape]
    return GPTNeoXConfig(vocab_size=50304, hidden_size=d, num_hidden_layers=layers, num_attention_heads=heads,
                         intermediate_size=4 * d, rotary_pct=0.25, rotary_emb_base=10000,
                         max_position_embeddings=2048, use_parallel_residual=True, tie_word_embeddings=False)


def best_seconds(fn, trials):
    """(wall, process CPU) seconds of the fastest trial, each minimised separately, after a warm-up."""
    fn()
    wall, cpu = float("inf"), float("inf")
    for _ in range(trials):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
    return wall, cpu


def measure(args, shape):
    _, layers, _, block = SHAPES[shape]
    hook = f"blocks.{block}.hook_resid_pre"
    torch.manual_seed(0)
    full = GPTNeoXForCausalLM(pythia_config(shape, layers)).eval()
    trunc = GPTNeoXModel(pythia_config(shape, block)).eval()
    tokens = torch.randint(0, 50277, (args.rows, args.context))
    n = args.rows * args.context

    def torch_trunc():
        with torch.inference_mode():
            trunc(tokens)

    def torch_full():
        with torch.inference_mode():
            full(tokens, output_hidden_states=True)

    best = {"swift hook": 0.0, "swift full": 0.0, "torch trunc": 0.0, "torch full": 0.0}
    best_cpu = dict(best)   # tokens per CPU-second (all threads): meaningful when the machine is shared
    env = dict(os.environ, SAETRACK_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        for r in range(args.rounds):
            subprocess.run([args.saetrack, "bench", "lm", "--model", shape, "--hook", hook,
                            "--rows", str(args.rows), "--context", str(args.context),
                            "--trials", str(args.trials), "--threads", str(args.threads), "--json", out],
                           check=True, env=env, stdout=subprocess.DEVNULL)
            with open(out) as f:
                s = json.load(f)
            rates = {"swift hook": (s["hookTokensPerSecond"], s["hookTokensPerCPUSecond"]),
                     "swift full": (s["fullForwardTokensPerSecond"], s["fullForwardTokensPerCPUSecond"])}
            for key, fn in (("torch trunc", torch_trunc), ("torch full", torch_full)):
                wall, cpu = best_seconds(fn, args.trials)
                rates[key] = (n / wall, n / cpu)
            for key, (wall_rate, cpu_rate) in rates.items():
                best[key] = max(best[key], wall_rate)
                best_cpu[key] = max(best_cpu[key], cpu_rate)
            print(f"{shape} round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v:,.0f}" for k, v in best.items()),
                  file=sys.stderr)

    print(f"{shape} shape, random weights, {args.rows}×{args.context} tokens, {args.threads} threads, "
          f"torch {torch.__version__}, best of {args.rounds}×{args.trials}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':58} {'tokens/s':>10} {'tok/CPU-s':>10}")
    labels = {
        "swift hook": f"SAETrack activations {hook} ({block} blocks)",
        "torch trunc": f"transformers, truncated to {block} layers",
        "swift full": f"SAETrack full forward ({layers} blocks + logits)",
        "torch full": "transformers full forward, output_hidden_states",
    }
    for key, label in labels.items():
        print(f"{label:58} {best[key]:>10,.0f} {best_cpu[key]:>10,.0f}")
    pairs = {
        "hook vs torch truncated (target >= 1.3)": ("swift hook", "torch trunc"),
        "hook vs HF user's full forward (target >= 5)": ("swift hook", "torch full"),
        "full forward vs HF full forward": ("swift full", "torch full"),
    }
    ratios = {label: (best[a] / best[b], best_cpu[a] / best_cpu[b]) for label, (a, b) in pairs.items()}
    for label, (wall, cpu) in ratios.items():
        print(f"{label:58} {wall:>9.2f}x {cpu:>9.2f}x")
    print()
    return {"model": shape, "hook": hook, "tokens_per_second": best, "tokens_per_cpu_second": best_cpu,
            "ratios_wall_and_cpu": ratios}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--models", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--rounds", type=int, default=3, help="alternating Swift/torch rounds (default 3)")
    ap.add_argument("--trials", type=int, default=2, help="timed trials per measurement per round (default 2)")
    ap.add_argument("--saetrack", default=os.path.join(ROOT, ".build/release/saetrack"))
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    load_start = os.getloadavg()[0]
    results = [measure(args, shape) for shape in args.models]
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "rows": args.rows, "context": args.context,
                       "load_average_start": load_start, "load_average_end": os.getloadavg()[0],
                       "models": results}, f, indent=2)


if __name__ == "__main__":
    main()
