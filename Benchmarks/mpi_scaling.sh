#!/bin/sh
# Latent-sharded SAE training (saetrack-mpi, Docs/Distributed.md) on one machine: tokens/s and
# CPU-seconds of 1 rank × 1 thread, 2 ranks × 1 thread and 1 rank × 2 threads on the same
# activations, and the bytes each rank sent per step (mpi_traffic.json) against 2·(n−1)/n·B·d·4.
#
# Usage: sh Benchmarks/mpi_scaling.sh [PYTHON] [OUT]   (after swift build -c release)
# PYTHON (default python3, needs numpy + safetensors) writes the synthetic activations once.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-python3}
out=${2:-$root/bench-out/mpi}
bin=$root/.build/release
mkdir -p "$out"
D_IN=${D_IN:-256} D_SAE=${D_SAE:-8192} BATCH=${BATCH:-1024} STEPS=${STEPS:-20}
acts=$out/acts-$D_IN.safetensors
if [ ! -f "$acts" ]; then
    "$py" - "$acts" "$D_IN" <<'PY'
import sys, numpy as np
from safetensors.numpy import save_file
path, d = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(5)
D = rng.normal(size=(2000, d)).astype(np.float32)
n = 24000
codes = (rng.random((n, 2000)) < 0.01) * rng.exponential(1.0, (n, 2000))
save_file({"activations": (codes @ D + 0.1 * rng.normal(size=(n, d))).astype(np.float32)}, path)
PY
fi
common="train-sae --activations $acts --d-sae $D_SAE --batch-size $BATCH --steps $STEPS --warmup 5 --log-every $STEPS --buffer-tokens 8192 --restart"
run() {   # name ranks threads
    mpirun --allow-run-as-root --oversubscribe -np "$2" "$bin/saetrack-mpi" $common --threads "$3" --out "$out/$1" >/dev/null 2>"$out/$1.log"
    "$py" - "$out/$1" "$1" "$STEPS" "$BATCH" <<'PY'
import json, sys
d, name, steps, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = json.load(open(d + "/mpi_traffic.json"))
wall = max(r["seconds"] for r in t["per_rank"]); cpu = sum(r["cpu_seconds"] for r in t["per_rank"])
sent = [sum(r["bytes"].values()) / steps for r in t["per_rank"]]
mpi = max(r["mpi_seconds"] for r in t["per_rank"])
print(f"{name:>16}: {steps * batch / wall:8.0f} tok/s, {steps * batch / cpu:8.0f} tok/CPU-s, {mpi:.2f} of {wall:.2f} s in MPI, bytes/step/rank {max(sent):.0f} "
      f"(predicted reconstruction {t['predicted_reconstruction_bytes_per_step']:.0f}, data-parallel {t['data_parallel_bytes_per_step']:.0f})")
PY
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run 1rank-1thread 1 1
run 2ranks-1thread 2 1
run 1rank-2threads 1 2
run 2ranks-1thread-b 2 1
run 1rank-1thread-b 1 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
