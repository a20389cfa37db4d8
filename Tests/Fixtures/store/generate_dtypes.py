"""Reference roundings for SAETrack's F16 / BF16 activation storage (ActivationDType).

Run by hand (never by the tests):  venv/bin/python Tests/Fixtures/store/generate_dtypes.py

Writes dtype_reference.safetensors:
  values  F32  [n]   float32 inputs: normals at several scales, exact rounding ties for both
                     formats, float16 subnormals and overflow, bfloat16's top range, ±0, ±inf, NaN
  bf16    BF16 [n]   torch: values.to(torch.bfloat16)    (round to nearest even; NaN → 0xFFFF on the CPU path)
  f16     F16  [n]   numpy: values.astype(np.float16)     (IEEE binary16, round to nearest even)
"""
import os

import numpy as np
import torch
from safetensors.torch import save_file


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(20261202)
    parts = [rng.standard_normal(200) * s for s in (1e-3, 1.0, 30.0, 3e4)]
    one = np.float32(1.0)
    ties = [
        1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, -(1 + 2.0 ** -8), 1 + 2.0 ** -8 + 2.0 ** -20,   # BF16 ties (7 mantissa bits)
        1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 2048 + 1, 2048 + 3,                              # F16 ties (10 mantissa bits)
    ]
    edges = [0.0, -0.0, 1e-6, -3e-7, 6.1e-5, 5.96e-8, 2.9e-8, 65504.0, 65519.0, 65520.0, 7e4, -1e5,
             3.0e38, 3.4e38, -3.39e38, 1e-40, float("inf"), float("-inf"), float("nan")]
    values = np.concatenate(parts + [np.array(ties), np.array(edges)]).astype(np.float32)
    assert values.dtype == np.float32 and one == 1
    t = torch.from_numpy(values.copy())
    with np.errstate(over="ignore"):
        f16 = torch.from_numpy(values.astype(np.float16))
    save_file({"values": t, "bf16": t.to(torch.bfloat16), "f16": f16}, os.path.join(here, "dtype_reference.safetensors"))
    print("wrote dtype_reference.safetensors:", values.size, "values")


if __name__ == "__main__":
    main()
