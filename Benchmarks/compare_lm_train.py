"""LM training throughput: SAETrack (`saetrack bench train-lm`) vs PyTorch CPU on the same models.

Runs, in one process tree and with the same thread count, the demo model (GPT-NeoX 4 layers,
d_model 128, 4 heads, MLP 512, vocab 2048 as in the first torch reference; `demo265` is the same
model with the demo corpus's 265-token vocabulary) and a Pythia-14m shape (6 layers, vocab 50304) for
batch 16 x 128: forward + backward + clip_grad_norm_ + AdamW per step, random tokens. Prints
tokens/s for both and the ratio SAETrack / torch (>= 1.0 means SAETrack is faster). The two are
run alternately (`--rounds`), and the best round of each is kept, so load from other processes
on a shared machine affects both alike.

Usage: venv/bin/python Benchmarks/compare_lm_train.py [--threads 2] [--steps 10] [--rounds 2]
       [--saetrack .build/release/saetrack] [--json bench-out/lm_train.json]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

SHAPES = {
    "demo": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512,
                 vocab_size=2048, max_position_embeddings=128, rotary_pct=0.25),
    "demo265": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=512,
                    vocab_size=265, max_position_embeddings=128, rotary_pct=0.25),
    "pythia14m": dict(hidden_size=128, num_hidden_layers=6, num_attention_heads=4, intermediate_size=512,
                      vocab_size=50304, max_position_embeddings=2048, rotary_pct=0.25),
}


def torch_tokens_per_second(shape, steps, warmup, batch_rows, context):
    torch.manual_seed(0)
    model = GPTNeoXForCausalLM(GPTNeoXConfig(**SHAPES[shape], attn_implementation="sdpa")).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
    tokens = torch.randint(0, SHAPES[shape]["vocab_size"], (batch_rows, context))
    for step in range(warmup + steps):
        if step == warmup:
            start, cpu_start = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = model(tokens, labels=tokens).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    n = steps * batch_rows * context
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu_start)


def saetrack_tokens_per_second(binary, shape, steps, warmup, batch_rows, context, threads):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        env = dict(os.environ, SAETRACK_THREADS=str(threads))
        model = "demo" if shape.startswith("demo") else shape
        subprocess.run([binary, "bench", "train-lm", "--models", model, "--demo-vocab", str(SHAPES[shape]["vocab_size"]),
                        "--steps", str(steps), "--warmup", str(warmup),
                        "--batch-rows", str(batch_rows), "--context", str(context), "--json", out],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        with open(out) as f:
            r = json.load(f)[0]
            return r["tokensPerSecond"], r["tokensPerCPUSecond"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-rows", type=int, default=16)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--shapes", nargs="+", default=["demo", "pythia14m"], choices=list(SHAPES))
    ap.add_argument("--saetrack", default=".build/release/saetrack")
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    print(f"LM training, batch {args.batch_rows} x {args.context}, {args.threads} threads, torch {torch.__version__}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<11} {'torch tok/s':>12} {'SAETrack tok/s':>15} {'ratio':>7} {'torch tok/CPU-s':>16} "
          f"{'SAETrack tok/CPU-s':>19} {'ratio':>7}")
    for shape in args.shapes:
        torch_best = swift_best = (0.0, 0.0)
        for _ in range(args.rounds):
            t = torch_tokens_per_second(shape, args.steps, args.warmup, args.batch_rows, args.context)
            s = saetrack_tokens_per_second(args.saetrack, shape, args.steps, args.warmup,
                                           args.batch_rows, args.context, args.threads)
            torch_best = (max(torch_best[0], t[0]), max(torch_best[1], t[1]))
            swift_best = (max(swift_best[0], s[0]), max(swift_best[1], s[1]))
        ratio, cpu_ratio = swift_best[0] / torch_best[0], swift_best[1] / torch_best[1]
        rows.append(dict(model=shape, threads=args.threads, torch_tokens_per_second=torch_best[0],
                         saetrack_tokens_per_second=swift_best[0], ratio=ratio,
                         torch_tokens_per_cpu_second=torch_best[1], saetrack_tokens_per_cpu_second=swift_best[1],
                         cpu_ratio=cpu_ratio, load_average=os.getloadavg()[0]))
        print(f"{shape:<11} {torch_best[0]:>12.0f} {swift_best[0]:>15.0f} {ratio:>7.2f} {torch_best[1]:>16.0f} "
              f"{swift_best[1]:>19.0f} {cpu_ratio:>7.2f}", flush=True)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
