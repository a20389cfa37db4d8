#!/usr/bin/env python3
"""Fixtures for SAETrackLM's forward pass (Tests/SAETrackLMTests/Model*Tests.swift).

Rerun by hand when the fixtures must change (tests never run Python):

    venv/bin/python Tests/Fixtures/lm/generate.py [NAME ...]     (names: regenerate only those models)

For every tiny random-init model below this writes `Tests/Fixtures/lm/<name>/`:

- `config.json` + `model.safetensors`, saved by `transformers` (`save_pretrained`);
- `reference.safetensors`, computed by `transformers` on PyTorch CPU in float32 (eager attention):
  - `tokens` I32 [rows, context];
  - `blocks.{L}.hook_{resid_pre,resid_mid,resid_post,attn_out,mlp_out}` F32 [rows*context, d_model]:
    resid_pre/resid_post from `output_hidden_states` and block-output forward hooks, attn_out/mlp_out
    from forward hooks on the attention and MLP modules, resid_mid from a pre-hook on the second
    LayerNorm (sequential residual) or, for parallel-residual blocks (which TransformerLens gives no
    resid_mid), resid_pre + attn_out;
  - `centered.blocks.{L}.hook_resid_pre` F32: TransformerLens's resid_pre, produced by actually
    centring the writing weights (`center_writing_weights`: W_E, W_pos, W_O, b_O, W_out, b_out minus
    their d_model-mean) on a copy of the model and reading its hidden states — not by subtracting a
    mean from the clean activations;
  - `logits` F32 [rows*context, vocab], `loss` F32 [1] (mean next-token cross-entropy, HF labels);
  - `zero_ablation.<hook>` F32 [1]: the loss with that hook's activations replaced by zeros.

The variants cover Docs/Formats.md (Model directories): parallel and sequential residual, rotary_pct 0.25 / 0.5 with
head_dim ≠ rotary dims, a non-default rotary base, the legacy config keys (`rotary_pct`,
`rotary_emb_base`) next to the new `rope_parameters`, tied and untied heads, tanh (`gelu_new`) and
exact-erf GELU, `scale_attn_by_inverse_layer_idx`, an `n_inner` that is not 4·d, odd (padded)
vocabularies whose tail ids never occur in the tokens, and one model stored as F16.
"""
import json
import os
import sys
import copy

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel, GPTNeoXConfig, GPTNeoXForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS, CONTEXT = 3, 12

MODELS = {
    # Pythia-like: parallel residual, rotary 0.25 of head_dim 16 (4 rotary dims), untied head.
    "neox_parallel": dict(
        kind="neox", legacy_keys=True, dtype=torch.float32,
        cfg=dict(vocab_size=101, hidden_size=48, num_hidden_layers=3, num_attention_heads=3,
                 intermediate_size=192, rotary_pct=0.25, rotary_emb_base=10000,
                 max_position_embeddings=64, use_parallel_residual=True, tie_word_embeddings=False)),
    # Sequential residual, rotary 0.5 of head_dim 8 (4 dims), base 500, F16 storage, tied head.
    "neox_sequential_f16": dict(
        kind="neox", legacy_keys=False, dtype=torch.float16,
        cfg=dict(vocab_size=97, hidden_size=40, num_hidden_layers=2, num_attention_heads=5,
                 intermediate_size=120, rotary_pct=0.5, rotary_emb_base=500,
                 max_position_embeddings=64, use_parallel_residual=False, tie_word_embeddings=True,
                 layer_norm_eps=1e-5)),
    # GPT-2 small-like: tanh GELU, tied head.
    "gpt2_tied": dict(
        kind="gpt2", dtype=torch.float32,
        cfg=dict(vocab_size=103, n_embd=32, n_layer=2, n_head=4, n_positions=32,
                 activation_function="gelu_new", tie_word_embeddings=True,
                 bos_token_id=0, eos_token_id=0)),
    # Stanford-Mistral-like: scale_attn_by_inverse_layer_idx, exact GELU, n_inner 100, untied head.
    "gpt2_scaled_untied": dict(
        kind="gpt2", dtype=torch.float32,
        cfg=dict(vocab_size=89, n_embd=36, n_layer=3, n_head=3, n_positions=32, n_inner=100,
                 activation_function="gelu", scale_attn_by_inverse_layer_idx=True,
                 tie_word_embeddings=False, layer_norm_epsilon=1e-5,
                 bos_token_id=0, eos_token_id=0)),
    # The non-GELU MLPs and unscaled attention: ReLU with scale_attn_weights = false, tied head.
    "gpt2_relu_unscaled": dict(
        kind="gpt2", dtype=torch.float32,
        cfg=dict(vocab_size=71, n_embd=24, n_layer=2, n_head=2, n_positions=32,
                 activation_function="relu", scale_attn_weights=False, tie_word_embeddings=True,
                 bos_token_id=0, eos_token_id=0)),
    # SiLU MLP, sequential residual, full rotary (rotary_pct 1.0 of head_dim 8).
    "neox_silu": dict(
        kind="neox", legacy_keys=False, dtype=torch.float32,
        cfg=dict(vocab_size=67, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=64, rotary_pct=1.0, rotary_emb_base=10000, hidden_act="silu", initializer_range=0.08,
                 max_position_embeddings=64, use_parallel_residual=False, tie_word_embeddings=False)),
}


def build(spec, seed):
    torch.manual_seed(seed)
    if spec["kind"] == "neox":
        config = GPTNeoXConfig(**spec["cfg"], attn_implementation="eager")
        model = GPTNeoXForCausalLM(config)
    else:
        config = GPT2Config(**spec["cfg"], attn_implementation="eager",
                            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        model = GPT2LMHeadModel(config)
    # Random init has tiny LayerNorm/bias values (ones/zeros); perturb every parameter so layout bugs show.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
            else:
                p.mul_(2.5)
    return model.eval()


def parts(model, kind):
    """(blocks, attention module, mlp module, second layernorm, sequential?) per layer."""
    if kind == "neox":
        layers = model.gpt_neox.layers
        seq = not model.config.use_parallel_residual
        return [(l, l.attention, l.mlp, l.post_attention_layernorm, seq) for l in layers]
    return [(b, b.attn, b.mlp, b.ln_2, True) for b in model.transformer.h]


def first(out):
    return out[0] if isinstance(out, tuple) else out


def run_with_hooks(model, kind, tokens):
    caps, handles = {}, []
    for L, (block, attn, mlp, ln2, seq) in enumerate(parts(model, kind)):
        handles.append(attn.register_forward_hook(
            lambda m, i, o, L=L: caps.__setitem__(f"blocks.{L}.hook_attn_out", first(o).detach().clone())))
        handles.append(mlp.register_forward_hook(
            lambda m, i, o, L=L: caps.__setitem__(f"blocks.{L}.hook_mlp_out", first(o).detach().clone())))
        handles.append(block.register_forward_hook(
            lambda m, i, o, L=L: caps.__setitem__(f"blocks.{L}.hook_resid_post", first(o).detach().clone())))
        if seq:
            handles.append(ln2.register_forward_pre_hook(
                lambda m, i, L=L: caps.__setitem__(f"blocks.{L}.hook_resid_mid", i[0].detach().clone())))
    with torch.no_grad():
        out = model(tokens, labels=tokens, output_hidden_states=True)
    for h in handles:
        h.remove()
    n = model.config.num_hidden_layers
    for L, (_, _, _, _, seq) in enumerate(parts(model, kind)):
        caps[f"blocks.{L}.hook_resid_pre"] = out.hidden_states[L]
        if not seq:
            caps[f"blocks.{L}.hook_resid_mid"] = out.hidden_states[L] + caps[f"blocks.{L}.hook_attn_out"]
        if L + 1 < n:   # the last hidden state has the final LayerNorm applied (Docs/Formats.md, *Model directories*)
            torch.testing.assert_close(caps[f"blocks.{L}.hook_resid_post"], out.hidden_states[L + 1], rtol=0, atol=0)
    return caps, out.logits, out.loss


def centered_model(model, kind):
    """TransformerLens `center_writing_weights`: every write to the residual stream gets zero d_model-mean."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        if m.config.tie_word_embeddings:
            # Centring W_E must not centre a tied unembedding: untie first (TransformerLens keeps W_U apart).
            out = m.get_output_embeddings()
            out.weight = torch.nn.Parameter(m.get_input_embeddings().weight.detach().clone())
        if kind == "neox":
            emb = m.gpt_neox.embed_in.weight                        # [V, H]
            emb.sub_(emb.mean(dim=1, keepdim=True))
            for layer in m.gpt_neox.layers:
                for lin in (layer.attention.dense, layer.mlp.dense_4h_to_h):   # nn.Linear [H_out, in]
                    lin.weight.sub_(lin.weight.mean(dim=0, keepdim=True))
                    lin.bias.sub_(lin.bias.mean())
        else:
            for emb in (m.transformer.wte.weight, m.transformer.wpe.weight):   # [V, H], [P, H]
                emb.sub_(emb.mean(dim=1, keepdim=True))
            for block in m.transformer.h:
                for conv in (block.attn.c_proj, block.mlp.c_proj):   # Conv1D [in, H_out]
                    conv.weight.sub_(conv.weight.mean(dim=1, keepdim=True))
                    conv.bias.sub_(conv.bias.mean())
    return m


def zero_ablation_loss(model, kind, tokens, hook):
    L = int(hook.split(".")[1])
    block, attn, mlp, _, _ = parts(model, kind)[L]
    if hook.endswith("resid_pre"):
        def pre(m, args, kwargs):
            if args:
                return (torch.zeros_like(args[0]),) + tuple(args[1:]), kwargs
            kwargs = dict(kwargs)
            kwargs["hidden_states"] = torch.zeros_like(kwargs["hidden_states"])
            return args, kwargs
        handle = block.register_forward_pre_hook(pre, with_kwargs=True)
    else:
        module = attn if hook.endswith("attn_out") else mlp
        def post(m, i, o):
            if isinstance(o, tuple):
                return (torch.zeros_like(o[0]),) + tuple(o[1:])
            return torch.zeros_like(o)
        handle = module.register_forward_hook(post)
    with torch.no_grad():
        loss = model(tokens, labels=tokens).loss
    handle.remove()
    return loss


def legacy_neox_config(path):
    """Rewrite `rope_parameters` to the keys real Pythia checkpoints carry (rotary_pct, rotary_emb_base)."""
    with open(path) as f:
        cfg = json.load(f)
    rope = cfg.pop("rope_parameters")
    cfg["rotary_pct"] = rope["partial_rotary_factor"]
    cfg["rotary_emb_base"] = rope["rope_theta"]
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)


def main():
    only = set(sys.argv[1:])   # model names to (re)generate; none: all
    for seed, (name, spec) in enumerate(MODELS.items()):
        if only and name not in only:
            continue
        out_dir = os.path.join(HERE, name)
        os.makedirs(out_dir, exist_ok=True)
        model = build(spec, seed)
        if spec["dtype"] != torch.float32:
            # Store in F16; the references come from the F16-rounded weights run in float32.
            model = model.to(spec["dtype"]).to(torch.float32)
        model.to(spec["dtype"]).save_pretrained(out_dir)
        model.to(torch.float32)
        if spec["kind"] == "neox" and spec["legacy_keys"]:
            legacy_neox_config(os.path.join(out_dir, "config.json"))

        vocab = model.config.vocab_size
        g = torch.Generator().manual_seed(100 + seed)
        tokens = torch.randint(0, vocab - 6, (ROWS, CONTEXT), generator=g)   # top ids unused: "padding"
        caps, logits, loss = run_with_hooks(model, spec["kind"], tokens)

        ref = {"tokens": tokens.to(torch.int32).contiguous()}
        d = model.config.hidden_size
        flat = lambda t: t.reshape(ROWS * CONTEXT, -1).to(torch.float32).contiguous()
        for key, value in caps.items():
            ref[key] = flat(value)
        ref["logits"] = flat(logits)
        ref["loss"] = loss.reshape(1).to(torch.float32)

        centered = centered_model(model, spec["kind"])
        with torch.no_grad():
            cout = centered(tokens, labels=tokens, output_hidden_states=True)
        torch.testing.assert_close(cout.loss, loss, rtol=1e-5, atol=1e-5)   # LayerNorm undoes the centring
        for L in range(model.config.num_hidden_layers):
            ref[f"centered.blocks.{L}.hook_resid_pre"] = flat(cout.hidden_states[L])
            assert ref[f"centered.blocks.{L}.hook_resid_pre"].mean(dim=1).abs().max() < 1e-4

        hooks = ["blocks.1.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.1.hook_mlp_out"]
        for hook in hooks:
            ref[f"zero_ablation.{hook}"] = zero_ablation_loss(model, spec["kind"], tokens, hook).reshape(1)

        meta = {"generator": "Tests/Fixtures/lm/generate.py", "rows": str(ROWS), "context": str(CONTEXT),
                "torch": torch.__version__, "d_model": str(d)}
        save_file(ref, os.path.join(out_dir, "reference.safetensors"), metadata=meta)
        sizes = {f: os.path.getsize(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))}
        print(name, f"loss={loss.item():.5f}", sizes)


if __name__ == "__main__":
    main()
