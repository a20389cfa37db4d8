#!/usr/bin/env python3
"""Fixtures for Tests/SAETrackIOTests, written by the reference implementations.

Rerun from the repository root with the project venv:

    venv/bin/python Tests/Fixtures/io/generate.py            # all sections
    venv/bin/python Tests/Fixtures/io/generate.py configs models

Sections:
  configs     HF config.json files (GPT-2 small, Pythia-70m/410m, legacy and rope_parameters
              forms, edge cases) and transformers' own parse of each (configs/expected.json).
  models      tiny GPT-2 and GPT-NeoX directories saved by transformers (F32, F16, BF16, sharded,
              hub-style GPT-2 without the `transformer.` prefix and with `attn.bias` buffers),
              their float32 values, and broken directories each with the problems the loader must list.
  safetensors files from Python's safetensors (every dtype, scalar, empty tensor, metadata, padding),
              numpy statistics for `saetrack inspect`, and 37 malformed files with the Swift error
              each must raise and Python's own verdict (safetensors/malformed/expected.json).
  sha256      hashlib digests of test messages and of the tiny models' canonical weight encoding.
  sae         SAE directories saved by sae_lens (standard, topk, jumprelu), the sparsify layout
              (as sparsify's save_to_disk writes it), and broken SAE directories.
  swift       builds the tests, runs the Swift writers with SAETRACK_IO_WRITE_FIXTURES=1 into
              swift-written/, loads each output with transformers / safetensors / sae_lens and
              records the verdict with each file's SHA-256 (swift-written/python-verdict.json).
Everything is seeded and deterministic; outputs are committed, tests never run Python. The one
exception: Python writes several metadata keys in hash-map order, so
safetensors/all-dtypes-multi-metadata.safetensors may differ byte-wise (not in content) between runs.
"""
import json
import os
import shutil
import struct
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import numpy as np
import torch
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def out(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def fresh_dir(*parts):
    p = os.path.join(HERE, *parts)
    shutil.rmtree(p, ignore_errors=True)
    os.makedirs(p)
    return p


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# configs
# ----------------------------------------------------------------------------------------------

# Pythia config.json as published on the Hub (legacy rotary keys), Docs/Formats.md (Model directories)
def pythia_hub_config(hidden, layers, heads):
    return {
        "architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0,
        "hidden_act": "gelu", "hidden_size": hidden, "initializer_range": 0.02,
        "intermediate_size": 4 * hidden, "layer_norm_eps": 1e-05, "max_position_embeddings": 2048,
        "model_type": "gpt_neox", "num_attention_heads": heads, "num_hidden_layers": layers,
        "rotary_emb_base": 10000, "rotary_pct": 0.25, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.24.0", "use_cache": True,
        "use_parallel_residual": True, "vocab_size": 50304,
    }


# GPT-2 small config.json as published on the Hub, Docs/Formats.md (Model directories)
GPT2_SMALL_HUB = {
    "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
    "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
    "n_inner": None, "n_layer": 12, "n_positions": 1024, "reorder_and_upcast_attn": False,
    "resid_pdrop": 0.1, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
    "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
    "summary_type": "cls_index", "summary_use_proj": True,
    "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
    "vocab_size": 50257,
}


def parsed_by_transformers(path):
    """What transformers makes of a config file: the oracle the Swift decoder must agree with."""
    from transformers import AutoConfig
    c = AutoConfig.from_pretrained(os.path.dirname(path)) if os.path.basename(path) == "config.json" \
        else AutoConfig.from_pretrained(path)
    if c.model_type == "gpt2":
        return {"model_type": "gpt2", "d_model": c.n_embd, "n_layers": c.n_layer, "n_heads": c.n_head,
                "vocab_size": c.vocab_size, "context_length": c.n_positions,
                "d_mlp": c.n_inner if c.n_inner is not None else 4 * c.n_embd,
                "layer_norm_epsilon": c.layer_norm_epsilon, "activation": c.activation_function,
                "tied": c.tie_word_embeddings, "bos_token_id": c.bos_token_id,
                "scale_attn_by_inverse_layer_idx": c.scale_attn_by_inverse_layer_idx,
                "parallel_residual": False, "rotary_dims": 0, "rotary_base": None}
    head_dim = c.hidden_size // c.num_attention_heads
    rp = c.rope_parameters
    return {"model_type": "gpt_neox", "d_model": c.hidden_size, "n_layers": c.num_hidden_layers,
            "n_heads": c.num_attention_heads, "vocab_size": c.vocab_size,
            "context_length": c.max_position_embeddings, "d_mlp": c.intermediate_size,
            "layer_norm_epsilon": c.layer_norm_eps, "activation": c.hidden_act,
            "tied": c.tie_word_embeddings, "bos_token_id": c.bos_token_id,
            "scale_attn_by_inverse_layer_idx": False, "parallel_residual": c.use_parallel_residual,
            "rotary_dims": int(head_dim * rp["partial_rotary_factor"]), "rotary_base": rp["rope_theta"]}


def gen_configs():
    from transformers import GPT2Config, GPTNeoXConfig
    d = fresh_dir("configs")
    files = {}
    files["gpt2-small.json"] = GPT2_SMALL_HUB
    files["pythia-70m.json"] = pythia_hub_config(512, 6, 8)
    files["pythia-410m.json"] = pythia_hub_config(1024, 24, 16)
    # transformers 5 re-save of Pythia-70m: rope_parameters instead of rotary_pct/rotary_emb_base.
    neox = GPTNeoXConfig(**{k: v for k, v in pythia_hub_config(512, 6, 8).items()
                            if k not in ("architectures", "model_type", "transformers_version", "torch_dtype")})
    neox.architectures = ["GPTNeoXForCausalLM"]
    resaved = neox.to_dict()
    assert "rope_parameters" in resaved and "rotary_pct" not in resaved, resaved.keys()
    files["pythia-70m-rope-parameters.json"] = resaved
    # rope_parameters and different legacy keys: rope_parameters wins in transformers.
    both = dict(resaved)
    both["rope_parameters"] = {"rope_theta": 500.0, "partial_rotary_factor": 0.5, "rope_type": "default"}
    both["rotary_pct"] = 0.25
    both["rotary_emb_base"] = 10000
    files["pythia-both-rotary-forms.json"] = both
    # GPT-2 variants: explicit n_inner, inverse-layer-idx scaling, untied head, exact gelu.
    g = GPT2Config(n_embd=64, n_layer=3, n_head=4, n_positions=128, n_inner=96, vocab_size=1000,
                   scale_attn_by_inverse_layer_idx=True, tie_word_embeddings=False,
                   activation_function="gelu", bos_token_id=1, eos_token_id=2)
    g.architectures = ["GPT2LMHeadModel"]
    files["gpt2-variant.json"] = g.to_dict()
    # A sequential-residual NeoX with gelu_new and tied embeddings.
    n = GPTNeoXConfig(hidden_size=96, num_hidden_layers=2, num_attention_heads=3, intermediate_size=200,
                      vocab_size=300, max_position_embeddings=64, rotary_pct=1.0, rotary_emb_base=500,
                      use_parallel_residual=False, hidden_act="gelu_new", tie_word_embeddings=True)
    files["neox-variant.json"] = n.to_dict()
    expected = {}
    for name, obj in files.items():
        write_json(os.path.join(d, name), obj)
        expected[name] = parsed_by_transformers(os.path.join(d, name))
    # Configs the Swift loader must reject with a specific error (checked by name in the tests).
    bad = {
        "bad-unknown-model-type.json": {"model_type": "llama", "hidden_size": 64},
        "bad-missing-model-type.json": {"n_embd": 64},
        "bad-activation.json": dict(GPT2_SMALL_HUB, activation_function="swiglu"),
        "bad-heads.json": dict(GPT2_SMALL_HUB, n_head=7),
        "bad-type.json": dict(pythia_hub_config(512, 6, 8), hidden_size="512"),
        "bad-rope-type.json": dict(resaved, rope_parameters={"rope_theta": 1e4, "partial_rotary_factor": 0.25,
                                                             "rope_type": "yarn"}),
    }
    for name, obj in bad.items():
        write_json(os.path.join(d, name), obj)
    with open(os.path.join(d, "bad-not-json.json"), "w") as f:
        f.write('{"model_type": "gpt2", ')
    write_json(os.path.join(d, "expected.json"), expected)
    print(f"configs: {len(files)} good, {len(bad) + 1} bad")


# ----------------------------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------------------------

def tiny_gpt2(**kw):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(1)
    c = GPT2Config(n_embd=16, n_layer=2, n_head=2, n_positions=32, vocab_size=50, bos_token_id=0,
                   eos_token_id=0, **kw)
    return GPT2LMHeadModel(c).eval()


def tiny_neox(**kw):
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM
    torch.manual_seed(2)
    c = GPTNeoXConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                      max_position_embeddings=32, vocab_size=50, rotary_pct=0.25, bos_token_id=0,
                      eos_token_id=0, **kw)
    return GPTNeoXForCausalLM(c).eval()


def drop_generation_config(d):
    p = os.path.join(d, "generation_config.json")
    if os.path.exists(p):
        os.remove(p)


def save_model(model, *parts, dtype=None, **kw):
    d = fresh_dir(*parts)
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(d, **kw)
    drop_generation_config(d)
    return d


def expected_weights(model, gpt2):
    """Parameters as float32 under SAETrack's names (GPT-2: no `transformer.` prefix, no tied head)."""
    out = {}
    for name, p in model.state_dict().items():
        if gpt2:
            if name == "lm_head.weight" and model.config.tie_word_embeddings:
                continue
            name = name.removeprefix("transformer.")
        elif name == "lm_head.weight":      # transformers 5 names NeoX's head lm_head in memory, embed_out on disk
            name = "embed_out.weight"
        out[name] = p.detach().to(torch.float32).contiguous()
    return out


def gen_models():
    d = fresh_dir("models")
    g = tiny_gpt2()
    save_model(g, "models", "gpt2-tiny")
    save_file(expected_weights(g, True), out("models", "gpt2-tiny-expected.safetensors"))
    n = tiny_neox()
    save_model(n, "models", "neox-tiny")
    save_file(expected_weights(n, False), out("models", "neox-tiny-expected.safetensors"))
    nf16 = tiny_neox()
    save_model(nf16, "models", "neox-tiny-f16", dtype=torch.float16)
    save_file(expected_weights(nf16.to(torch.float16), False), out("models", "neox-tiny-f16-expected.safetensors"))
    gbf = tiny_gpt2()
    save_model(gbf, "models", "gpt2-tiny-bf16", dtype=torch.bfloat16)
    save_file(expected_weights(gbf.to(torch.bfloat16), True), out("models", "gpt2-tiny-bf16-expected.safetensors"))
    # Sharded: several model-0000x-of-0000y.safetensors + model.safetensors.index.json.
    ns = tiny_neox()
    sd = save_model(ns, "models", "neox-tiny-sharded", max_shard_size="10KB")
    assert os.path.exists(os.path.join(sd, "model.safetensors.index.json")), os.listdir(sd)
    # Hub-style GPT-2 (like openai-community/gpt2): no prefix, causal-mask buffers `h.{i}.attn.bias`.
    hub = fresh_dir("models", "gpt2-tiny-hubstyle")
    tensors = {k: v.clone() for k, v in expected_weights(g, True).items()}
    for i in range(g.config.n_layer):
        tensors[f"h.{i}.attn.bias"] = torch.tril(torch.ones(1, 1, 32, 32, dtype=torch.uint8)).to(torch.float32)
        tensors[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(tensors, os.path.join(hub, "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(os.path.join(HERE, "models", "gpt2-tiny", "config.json"), hub)
    # Old NeoX checkpoints also carry attention.bias / masked_bias / rotary_emb.inv_freq buffers.
    old = fresh_dir("models", "neox-tiny-buffers")
    tensors = {k: v.clone() for k, v in expected_weights(n, False).items()}
    for i in range(n.config.num_hidden_layers):
        tensors[f"gpt_neox.layers.{i}.attention.bias"] = torch.tril(torch.ones(1, 1, 32, 32)).bool()
        tensors[f"gpt_neox.layers.{i}.attention.masked_bias"] = torch.tensor(-1e9)
        tensors[f"gpt_neox.layers.{i}.attention.rotary_emb.inv_freq"] = torch.ones(2)
    save_file(tensors, os.path.join(old, "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(os.path.join(HERE, "models", "neox-tiny", "config.json"), old)

    # Broken directories: every problem must be listed in one error.
    base = expected_weights(n, False)
    def broken(name, tensors, config_from="neox-tiny"):
        b = fresh_dir("models", "broken", name)
        save_file(tensors, os.path.join(b, "model.safetensors"), metadata={"format": "pt"})
        shutil.copy(os.path.join(HERE, "models", config_from, "config.json"), b)
    t = dict(base)
    del t["gpt_neox.layers.1.mlp.dense_4h_to_h.weight"]
    del t["embed_out.weight"]
    t["gpt_neox.layers.2.attention.dense.weight"] = torch.zeros(16, 16)
    t["gpt_neox.final_layer_norm.weight"] = torch.zeros(17)
    t["gpt_neox.layers.0.attention.query_key_value.weight"] = torch.zeros(16, 48)
    t["gpt_neox.layers.0.mlp.dense_h_to_4h.bias"] = torch.zeros(64, dtype=torch.int32)
    broken("neox-many-problems", t)
    gt = expected_weights(g, True)
    gt2 = {("transformer." + k): v for k, v in gt.items()}
    gt2["wte.weight"] = gt["wte.weight"].clone()     # both prefixed and unprefixed: duplicate
    broken("gpt2-duplicate", gt2, config_from="gpt2-tiny")
    no_cfg = fresh_dir("models", "broken", "no-config")
    save_file(base, os.path.join(no_cfg, "model.safetensors"))
    no_w = fresh_dir("models", "broken", "no-weights")
    shutil.copy(os.path.join(HERE, "models", "neox-tiny", "config.json"), no_w)
    open(os.path.join(no_w, "pytorch_model.bin"), "wb").close()
    bad_idx = fresh_dir("models", "broken", "index-missing-shard")
    shutil.copy(os.path.join(HERE, "models", "neox-tiny", "config.json"), bad_idx)
    write_json(os.path.join(bad_idx, "model.safetensors.index.json"),
               {"metadata": {"total_size": 4}, "weight_map": {"embed_out.weight": "model-00001-of-00002.safetensors"}})
    print("models: written")


# ----------------------------------------------------------------------------------------------
# safetensors: valid files from the reference writer, malformed files and the reference's verdict
# ----------------------------------------------------------------------------------------------

def all_dtype_tensors():
    """Every dtype SAETrack reads, with edge values (F16 subnormal/inf/nan, BF16, extremes)."""
    g = torch.Generator().manual_seed(3)
    return {
        "bool": torch.tensor([True, False, True]),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "i16": torch.tensor([-32768, 7, 32767], dtype=torch.int16),
        "u16": torch.tensor([0, 40000, 65535], dtype=torch.uint16),
        "i32": torch.tensor([[-2147483648, 2147483647], [5, -6]], dtype=torch.int32),
        "u32": torch.tensor([0, 123456, 2147483647], dtype=torch.uint32),
        "i64": torch.tensor([-2147483648, 0, 2147483647], dtype=torch.int64),
        "u64": torch.tensor([0, 77, 2147483647], dtype=torch.uint64),
        "f16": torch.tensor([1.0, -2.5, 6.1e-5, 6e-8, 65504.0, float("inf"), float("-inf"), float("nan")], dtype=torch.float16),
        "bf16": torch.randn(3, 4, generator=g).to(torch.bfloat16),
        "f32": torch.randn(2, 3, 4, generator=g),
        "f64": torch.tensor([1e-300, 3.141592653589793, -1e300, 0.1], dtype=torch.float64),
        "scalar": torch.tensor(7.25),
        "empty": torch.zeros(0, 3),
        "name with \"quotes\", \\ slash/ é \n tab\t": torch.ones(2),
    }


def expected_floats(t):
    """What SAETrack's floats() must return: each element converted to float32 by torch."""
    return t.to(torch.float64).to(torch.float32).reshape(-1) if t.dtype in (torch.uint32, torch.uint64) \
        else t.to(torch.float32).reshape(-1)


def header_bytes(b):
    n = struct.unpack("<Q", b[:8])[0]
    return n, b[8:8 + n]


def gen_safetensors():
    from safetensors.torch import save
    from safetensors import safe_open
    d = fresh_dir("safetensors")
    t = all_dtype_tensors()
    save_file(t, os.path.join(d, "all-dtypes.safetensors"), metadata={"format": "pt"})
    save_file(t, os.path.join(d, "all-dtypes-no-metadata.safetensors"))
    save_file(t, os.path.join(d, "all-dtypes-empty-metadata.safetensors"), metadata={})
    save_file(t, os.path.join(d, "all-dtypes-multi-metadata.safetensors"),
              metadata={"format": "pt", "tokenizer": "gpt2", "note": "é \"quoted\"\n"})
    save_file({}, os.path.join(d, "no-tensors.safetensors"))
    # Expected element values as float32 (and as int64 for integer dtypes), by name.
    save_file({name: expected_floats(v).contiguous() for name, v in t.items()},
              os.path.join(d, "all-dtypes-expected-f32.safetensors"))
    ints = {name: v.to(torch.int64).reshape(-1).tolist() for name, v in t.items()
            if not v.is_floating_point()}
    meta = {"ints": ints, "shapes": {name: list(v.shape) for name, v in t.items()},
            "dtypes": {name: json.loads(header_bytes(open(os.path.join(d, "all-dtypes.safetensors"), "rb").read())[1])[name]["dtype"]
                       for name in t}}
    # `saetrack inspect` statistics by numpy: over non-NaN float32 values, mean accumulated in float64.
    stats = {}
    for name, v in t.items():
        x = expected_floats(v).numpy()
        ok = x[~np.isnan(x)]
        stats[name] = {"nan_count": int(np.isnan(x).sum()),
                       "min": None if ok.size == 0 else repr(float(ok.min())),
                       "max": None if ok.size == 0 else repr(float(ok.max())),
                       "mean": None if ok.size == 0 else repr(float(ok.astype(np.float64).mean()))}
    meta["stats"] = stats
    # Extra padding spaces after the JSON are valid.
    raw = open(os.path.join(d, "all-dtypes-no-metadata.safetensors"), "rb").read()
    n, h = header_bytes(raw)
    padded = h + b" " * 16
    with open(os.path.join(d, "extra-padding.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(padded)) + padded + raw[8 + n:])
    safe_open(os.path.join(d, "extra-padding.safetensors"), "pt")
    write_json(os.path.join(d, "expected.json"), meta)
    gen_malformed()
    print("safetensors: valid files written")


def malformed_cases():
    """(file name, header length override or None, header bytes, data bytes, expected Swift error, tensor)."""
    def h(obj):
        return json.dumps(obj, separators=(",", ":")).encode()
    ok = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    data8 = b"\x00" * 8
    cases = [
        ("empty-file", None, None, b"", "fileTooSmall", None),
        ("five-bytes", None, None, b"\x01\x02\x03\x04\x05", "fileTooSmall", None),
        ("header-past-eof", 4096, h(ok), data8, "headerPastEnd", None),
        ("huge-length", 2**63, h(ok), data8, "headerTooLarge", None),
        ("over-max-header", 100_000_001, h(ok), data8, "headerTooLarge", None),
        ("zero-length-header", 0, b"", data8, "headerNotObject", None),
        ("leading-space", None, b" " + h(ok), data8, "headerNotObject", None),
        ("array-header", None, b"[1,2]", b"", "headerNotObject", None),
        ("invalid-utf8", None, b'{"a\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data8, "headerNotUTF8", None),
        ("overlong-utf8", None, b'{"a\xc0\xaf":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data8, "headerNotUTF8", None),
        ("truncated-json", None, b'{"a":{"dtype":"F32","sha', data8, "headerInvalidJSON", None),
        ("trailing-garbage", None, h(ok) + b"x", data8, "headerInvalidJSON", None),
        ("lone-surrogate", None, b'{"\\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data8, "headerInvalidJSON", None),
        ("deep-nesting", None, b'{"__metadata__":' + b"[" * 1000 + b"]" * 1000 + b"}", b"", "headerInvalidJSON", None),
        ("duplicate-tensor", None, b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data8, "duplicateTensor", "a"),
        ("nested-metadata", None, h({"__metadata__": {"k": {"x": "y"}}, **ok}), data8, "invalidMetadata", None),
        ("metadata-number", None, h({"__metadata__": {"k": 1}, **ok}), data8, "invalidMetadata", None),
        ("metadata-array", None, h({"__metadata__": ["k"], **ok}), data8, "invalidMetadata", None),
        ("missing-dtype", None, h({"a": {"shape": [2], "data_offsets": [0, 8]}}), data8, "invalidTensorEntry", "a"),
        ("shape-not-array", None, h({"a": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}}), data8, "invalidTensorEntry", "a"),
        ("entry-not-object", None, h({"a": "F32"}), b"", "invalidTensorEntry", "a"),
        ("unknown-dtype", None, h({"a": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}), data8, "unknownDType", "a"),
        ("unsupported-dtype-f8", None, h({"a": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}}), data8, "unsupportedDType", "a"),
        ("negative-dim", None, h({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}), data8, "invalidShape", "a"),
        ("fractional-dim", None, h({"a": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}), data8, "invalidShape", "a"),
        ("overflowing-shape", None, h({"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}), data8, "invalidShape", "a"),
        ("overflowing-bytes", None, h({"a": {"dtype": "F64", "shape": [2**61], "data_offsets": [0, 8]}}), data8, "invalidShape", "a"),
        ("huge-dim-literal", None, b'{"a":{"dtype":"F32","shape":[100000000000000000000],"data_offsets":[0,8]}}', data8, "invalidShape", "a"),
        ("offsets-reversed", None, h({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}), data8, "invalidOffsets", "a"),
        ("offsets-three", None, h({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8, 8]}}), data8, "invalidOffsets", "a"),
        ("offsets-negative", None, h({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}), data8, "invalidOffsets", "a"),
        ("byte-count-mismatch", None, h({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}), data8, "byteCountMismatch", "a"),
        ("hole", None, h({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}), b"\x00" * 12, "dataHole", "b"),
        ("hole-at-start", None, h({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}), data8, "dataHole", "a"),
        ("overlap", None, h({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}), data8, "dataOverlap", "b"),
        ("past-end", None, h({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}), data8, "dataPastEnd", "a"),
        ("trailing-data", None, h(ok), data8 + b"\x00" * 4, "trailingData", None),
    ]
    return cases


def gen_malformed():
    from safetensors import safe_open
    d = fresh_dir("safetensors", "malformed")
    manifest = {}
    for name, n_override, header, data, error, tensor in malformed_cases():
        if header is None:
            raw = data
        else:
            pad = b" " * ((8 - len(header) % 8) % 8) if n_override is None else b""
            header = header + pad
            raw = struct.pack("<Q", len(header) if n_override is None else n_override) + header + data
        path = os.path.join(d, name + ".safetensors")
        with open(path, "wb") as f:
            f.write(raw)
        try:
            with safe_open(path, "pt") as f:
                for k in f.keys():
                    f.get_tensor(k)
            python = "accepted"
        except Exception as e:   # the reference's verdict, recorded for the report
            python = f"{type(e).__name__}: {str(e)[:120]}"
        manifest[name] = {"error": error, "tensor": tensor, "python": python}
    write_json(os.path.join(d, "expected.json"), manifest)
    accepted = [k for k, v in manifest.items() if v["python"] == "accepted"]
    print(f"malformed: {len(manifest)} files; Python safetensors accepts {accepted}")


# ----------------------------------------------------------------------------------------------
# sha256: hashlib digests of test messages and of the tiny models' canonical weight encoding
# ----------------------------------------------------------------------------------------------

def sha256_messages():
    """Messages around the 55/56/63/64-byte padding boundaries, non-ASCII, and a 1 MB one."""
    msgs = {"empty": b"", "abc": b"abc",
            "nist-448": b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "utf8": "é€😀".encode()}
    for n in [1, 55, 56, 57, 63, 64, 65, 127, 128, 129, 1000]:
        msgs[f"bytes-{n}"] = bytes((i * 7 + 3) % 256 for i in range(n))
    msgs["million-a"] = b"a" * 1_000_000
    return msgs


def canonical_weights_sha256(weights):
    """SAETrack's canonical weight hash: sorted names; u64 name length, name, u64 rows, u64 cols, F32 LE."""
    import hashlib
    h = hashlib.sha256()
    for name in sorted(weights, key=lambda k: k.encode()):
        t = weights[name].to(torch.float32).contiguous()
        rows, cols = (1, t.shape[0]) if t.dim() == 1 else (t.shape[0], t.shape[1])
        b = name.encode()
        h.update(struct.pack("<Q", len(b)) + b + struct.pack("<QQ", rows, cols))
        h.update(t.numpy().astype("<f4").tobytes())
    return h.hexdigest()


def gen_sha256():
    import hashlib
    msgs = sha256_messages()
    vectors = {k: {"hex": v.hex() if len(v) <= 1000 else None, "length": len(v), "sha256": hashlib.sha256(v).hexdigest()}
               for k, v in msgs.items()}
    weights = {}
    for name in ["gpt2-tiny", "neox-tiny", "neox-tiny-f16", "gpt2-tiny-bf16"]:
        w = load_file(os.path.join(HERE, "models", f"{name}-expected.safetensors"))
        weights[name] = canonical_weights_sha256(w)
    write_json(out("sha256.json"), {"messages": vectors, "weights": weights})
    print(f"sha256: {len(vectors)} messages, {len(weights)} weight digests")


# ----------------------------------------------------------------------------------------------
# sae: directories saved by sae_lens, and the sparsify layout
# ----------------------------------------------------------------------------------------------

def seeded_sae(sae, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sae.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1 + (0.05 if name == "threshold" else 0.0))
    return sae


def gen_sae():
    from sae_lens import StandardSAE, StandardSAEConfig, TopKSAE, TopKSAEConfig, JumpReLUSAE, JumpReLUSAEConfig
    fresh_dir("sae")
    d_in, d_sae = 16, 24
    std = seeded_sae(StandardSAE(StandardSAEConfig(d_in=d_in, d_sae=d_sae, metadata=__import__("sae_lens").saes.sae.SAEMetadata(model_name="pythia-70m", hook_name="blocks.3.hook_resid_pre", context_size=128))), 4)
    std.save_model(fresh_dir("sae", "saelens-standard"))
    seeded_sae(TopKSAE(TopKSAEConfig(d_in=d_in, d_sae=d_sae, k=4)), 5).save_model(fresh_dir("sae", "saelens-topk"))
    seeded_sae(JumpReLUSAE(JumpReLUSAEConfig(d_in=d_in, d_sae=d_sae)), 6).save_model(fresh_dir("sae", "saelens-jumprelu"))
    # sparsify v1 `Sae.save_to_disk`: sae.safetensors (encoder.weight [d_sae,d_in], encoder.bias,
    # W_dec [d_sae,d_in], b_dec) and cfg.json ({**SparseCoderConfig, "d_in"}), one folder per hookpoint.
    g = torch.Generator().manual_seed(7)
    W_enc = torch.randn(d_in, d_sae, generator=g)
    b_enc, W_dec, b_dec = torch.randn(d_sae, generator=g), torch.randn(d_sae, d_in, generator=g), torch.randn(d_in, generator=g)
    sp = fresh_dir("sae", "sparsify", "layers.3")
    save_file({"encoder.weight": W_enc.T.contiguous(), "encoder.bias": b_enc, "W_dec": W_dec, "b_dec": b_dec},
              os.path.join(sp, "sae.safetensors"))
    write_json(os.path.join(sp, "cfg.json"), {"activation": "topk", "expansion_factor": 32, "normalize_decoder": True,
                                              "num_latents": d_sae, "k": 4, "multi_topk": False, "skip_connection": False,
                                              "transcode": False, "d_in": d_in})
    save_file({"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}, out("sae", "sparsify-expected.safetensors"))
    # A sparsify folder whose W_dec went through a converter that transposed it (d_in != d_sae: recoverable by shape).
    spt = fresh_dir("sae", "sparsify-transposed", "layers.3")
    save_file({"encoder.weight": W_enc.T.contiguous(), "encoder.bias": b_enc, "W_dec": W_dec.T.contiguous(), "b_dec": b_dec},
              os.path.join(spt, "sae.safetensors"))
    shutil.copy(os.path.join(sp, "cfg.json"), spt)
    # Broken: W_dec of the wrong width, b_enc missing, cfg.json disagreeing with the tensors.
    br = fresh_dir("sae", "broken-shapes")
    save_file({"W_enc": W_enc, "W_dec": torch.zeros(d_sae, d_in + 1), "b_dec": b_dec}, os.path.join(br, "sae_weights.safetensors"))
    write_json(os.path.join(br, "cfg.json"), {"d_in": d_in, "d_sae": d_sae, "architecture": "standard"})
    bc = fresh_dir("sae", "broken-config")
    save_file({"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}, os.path.join(bc, "sae_weights.safetensors"))
    write_json(os.path.join(bc, "cfg.json"), {"d_in": d_in + 2, "d_sae": d_sae, "architecture": "standard"})
    print("sae: saelens standard/topk/jumprelu, sparsify, broken")


# ----------------------------------------------------------------------------------------------
# swift: files written by SAETrack, loaded by the reference implementations
# ----------------------------------------------------------------------------------------------

def run_swift_writer():
    """Builds the tests and runs the Swift writer with SAETRACK_IO_WRITE_FIXTURES=1."""
    import subprocess
    root = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
    flags = ["-c", "release", "-Xswiftc", "-enable-testing"]
    subprocess.run(["swift", "build", *flags, "--build-tests"], cwd=root, check=True)
    env = dict(os.environ, SAETRACK_IO_WRITE_FIXTURES="1", SAETRACK_THREADS="1")
    subprocess.run(["swift", "test", *flags, "--skip-build", "--filter", "swiftOutputsMatchVerifiedFixtures"],
                   cwd=root, env=env, check=True)


def sha256_file(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_model_dir(d, original):
    """transformers loads the Swift-written directory and computes the original model's logits."""
    from transformers import AutoModelForCausalLM
    src = AutoModelForCausalLM.from_pretrained(os.path.join(HERE, "models", original)).eval()
    m = AutoModelForCausalLM.from_pretrained(d).eval()
    assert type(m) is type(src), (type(m), type(src))
    ids = torch.arange(12).reshape(2, 6) % m.config.vocab_size
    with torch.no_grad():
        diff = (m(ids).logits - src(ids).logits).abs().max().item()
    assert diff == 0.0, diff
    return f"AutoModelForCausalLM -> {type(m).__name__}, logits identical to the transformers-saved model"


def check_safetensors(path):
    """Python's safetensors loads the Swift-written file: same tensors, dtypes, bits and metadata."""
    from safetensors import safe_open
    want = all_dtype_tensors()
    with safe_open(path, "pt") as f:
        assert f.metadata() == {"format": "pt", "tokenizer": "gpt2", "note": "é \"quoted\"\n"}, f.metadata()
        assert set(f.keys()) == set(want), set(f.keys()) ^ set(want)
        for k in f.keys():
            got = f.get_tensor(k)
            assert got.dtype == want[k].dtype and got.shape == want[k].shape, k
            assert torch.equal(got.reshape(-1).view(torch.uint8), want[k].reshape(-1).view(torch.uint8)), k
    return {"ok": True, "detail": "safetensors.safe_open: every tensor bit-identical, metadata equal",
            "sha256": sha256_file(path)}


def check_sae_dir(d, architecture):
    """sae_lens.SAE.load_from_disk opens the Swift-written directory; weights, provenance and encode agree."""
    from sae_lens import SAE
    sae = SAE.load_from_disk(d)
    src = load_file(os.path.join(HERE, "sae", f"saelens-{architecture}", "sae_weights.safetensors"))
    for k in ["W_enc", "b_enc", "W_dec", "b_dec"]:
        assert torch.equal(getattr(sae, k).detach(), src[k]), k
    assert sae.cfg.architecture() == architecture, sae.cfg.architecture()
    md = sae.cfg.metadata
    assert md.model_name == "pythia-70m" and md.hook_name == "blocks.3.hook_resid_pre", md.to_dict()
    assert md.checkpoint_step == 512 and md.centered is True and md.lm_weights_sha256 == "ab" * 32, md.to_dict()
    x = torch.randn(5, sae.cfg.d_in, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        f = sae.encode(x)
        if architecture == "standard":   # ReLU((x - b_dec) W_enc + b_enc), as SAETrack's SparseAutoencoder
            want = torch.relu((x - src["b_dec"]) @ src["W_enc"] + src["b_enc"])
            assert torch.allclose(f, want, atol=1e-6)
        else:
            assert int((f != 0).sum(-1).max()) <= sae.cfg.k
    return f"sae_lens {__import__('sae_lens').__version__} SAE.load_from_disk: {type(sae).__name__}, weights equal, provenance read back"


def gen_swift():
    run_swift_writer()
    sw = os.path.join(HERE, "swift-written")
    files = {}
    for name in ["gpt2-tiny", "neox-tiny"]:
        d = os.path.join(sw, "models", name)
        detail = check_model_dir(d, name)
        for f in ["config.json", "model.safetensors"]:
            files[f"models/{name}/{f}"] = {"ok": True, "detail": detail, "sha256": sha256_file(os.path.join(d, f))}
    for name in ["standard", "topk"]:
        d = os.path.join(sw, "sae", name)
        detail = check_sae_dir(d, name)
        for f in ["cfg.json", "sae_weights.safetensors"]:
            files[f"sae/{name}/{f}"] = {"ok": True, "detail": detail, "sha256": sha256_file(os.path.join(d, f))}
    files["safetensors/all-dtypes.safetensors"] = check_safetensors(os.path.join(sw, "safetensors", "all-dtypes.safetensors"))
    import transformers
    write_json(os.path.join(sw, "python-verdict.json"),
               {"files": files, "transformers": transformers.__version__})
    print(f"swift: {len(files)} Swift-written files verified")


SECTIONS = {"configs": gen_configs, "models": gen_models, "safetensors": gen_safetensors, "sha256": gen_sha256, "sae": gen_sae, "swift": gen_swift}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(SECTIONS)
    for s in wanted:
        SECTIONS[s]()
