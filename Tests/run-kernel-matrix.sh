#!/usr/bin/env bash
# Runs the already-built test suite again under each OpenBLAS kernel family this CPU can run, and
# once with OpenBLAS's own choice, so no test passes only under one BLAS kernel. No rebuild: run
# `make test` (or `swift build -c release -Xswiftc -enable-testing --build-tests`) first.
# Each run also takes another SAETRACK_THREADS (2, 3, 1, 2).
#   Prescott  SSE3, OpenBLAS's fallback on CPUs newer than its tables (every x86-64 runs it)
#   Haswell   AVX2 + FMA, where the CPU has both
#   SkylakeX  AVX-512, where the CPU has AVX-512 F/CD/BW/DQ/VL
#   default   OPENBLAS_CORETYPE unset: the family OpenBLAS picks for this CPU
set -euo pipefail
cd "$(dirname "$0")/.."
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }

kernels=(default Prescott)
has avx2 fma && kernels+=(Haswell)
has avx512f avx512cd avx512bw avx512dq avx512vl && kernels+=(SkylakeX)

# The thread budget varies too (odd, oversubscribed, single), so no test depends on the count.
threads=(2 3 1 2)
for i in "${!kernels[@]}"; do
    kernel=${kernels[$i]} n=${threads[$i]}
    echo "== test suite under OpenBLAS kernel family: $kernel, SAETRACK_THREADS=$n"
    if [ "$kernel" = default ]; then
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE SAETRACK_THREADS="$n" \
            swift test -c release -Xswiftc -enable-testing --skip-build
    else
        OPENBLAS_CORETYPE="$kernel" SAETRACK_THREADS="$n" swift test -c release -Xswiftc -enable-testing --skip-build
    fi
done
