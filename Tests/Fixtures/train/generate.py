"""Debug states for SAETrack's LM training tests (llm.c's `train_gpt2.py` debug-state idea).

For each tiny config (odd sizes, head_dim != rotary dims) this writes `<case>.safetensors` with:
  param.<hf name>   the weights (HF init, then biases and LayerNorms perturbed so they matter)
  grad.<hf name>    d loss / d param from torch autograd
  tokens            I32 (B, T) the batch; loss F32 [1] = model(tokens, labels=tokens).loss
  logits            F32 (B*T, V)
  train_tokens      I32 (STEPS*B, T): the batch of AdamW step s is rows s*B ..< (s+1)*B
  adamw_losses      F32 [STEPS]: the loss of each step before its update, with torch.optim.AdamW
                    (decay on >=2-D tensors only), LambdaLR warmup + cosine, clip_grad_norm_
metadata: `config` (config.json text) and `training` (the optimizer hyperparameters as JSON).

It also writes `tiny_tokens.safetensors` and, for each checkpoint SAETrack wrote from it
(`swift_checkpoint_neox/`, `swift_checkpoint_gpt2/`, made by `saetrack train-lm` as README.md here
says), loads it with transformers and records the logits on probe tokens
(`swift_checkpoint_<arch>_transformers.safetensors`, summary in `swift_checkpoint_check.json`).

Rerun: venv/bin/python Tests/Fixtures/train/generate.py   (torch CPU, transformers 5.x)
"""
import json
import math
import os

import torch
from safetensors.torch import save_file, load_file
from transformers import GPT2Config, GPT2LMHeadModel, GPTNeoXConfig, GPTNeoXForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
B, T, STEPS = 3, 11, 5   # the default batch; a case may override (B, T)
TRAINING = dict(lr=1e-2, betas=[0.9, 0.95], eps=1e-8, weight_decay=0.1, warmup=2, min_lr_ratio=0.1,
                clip=0.5, steps=STEPS)


def cases():
    """Each model is built right after seeding (construction draws random numbers too)."""
    torch.manual_seed(11)
    yield "neox_parallel", GPTNeoXForCausalLM(GPTNeoXConfig(
        vocab_size=37, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
        rotary_pct=0.5, max_position_embeddings=16, use_parallel_residual=True, tie_word_embeddings=False,
        attn_implementation="eager")), (B, T)
    torch.manual_seed(12)
    yield "neox_sequential_tied", GPTNeoXForCausalLM(GPTNeoXConfig(
        vocab_size=29, hidden_size=18, num_hidden_layers=2, num_attention_heads=3, intermediate_size=26,
        rotary_pct=0.75, max_position_embeddings=16, use_parallel_residual=False, tie_word_embeddings=True,
        attn_implementation="eager")), (B, T)
    torch.manual_seed(14)
    # T = 70 > Attention.queryBlock (32): the blocked causal products cross block edges.
    yield "neox_long_context", GPTNeoXForCausalLM(GPTNeoXConfig(
        vocab_size=23, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=24,
        rotary_pct=0.5, max_position_embeddings=80, use_parallel_residual=True, tie_word_embeddings=False,
        attn_implementation="eager")), (2, 70)
    torch.manual_seed(13)
    yield "gpt2", GPT2LMHeadModel(GPT2Config(
        vocab_size=41, n_embd=20, n_layer=2, n_head=4, n_inner=36, n_positions=16,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        attn_implementation="eager")), (B, T)


def hf_names(model):
    """(hf name, parameter) without duplicates (tied weights once), GPT-2 without `transformer.`.

    transformers 5 calls GPT-NeoX's unembedding `lm_head`; Pythia checkpoints (and SAETrack) name it
    `embed_out.weight`, which transformers renames on load."""
    out = []
    for name, p in model.named_parameters():   # named_parameters() skips tied duplicates
        name = name.removeprefix("transformer.")
        if model.config.model_type == "gpt_neox" and name == "lm_head.weight":
            name = "embed_out.weight"
        out.append((name, p))
    return out


def lr_lambda(step):
    w, total, floor = TRAINING["warmup"], TRAINING["steps"], TRAINING["min_lr_ratio"]
    if step < w:
        return (step + 1) / w
    progress = (step - w) / max(1, total - w)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def write_case(name, model, shape, seed):
    B, T = shape
    torch.manual_seed(seed)
    model.init_weights()
    model.eval()   # no dropout; autograd still works
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 1:   # biases and LayerNorms: random, so their gradients are not degenerate
                p.add_(0.1 * torch.randn_like(p))
    cfg = model.config
    V = cfg.vocab_size
    g = torch.Generator().manual_seed(seed + 1)
    tokens = torch.randint(0, V, (B, T), generator=g)
    train_tokens = torch.randint(0, V, (STEPS * B, T), generator=g)

    tensors = {f"param.{n}": p.detach().clone().contiguous() for n, p in hf_names(model)}
    out = model(tokens, labels=tokens)
    out.loss.backward()
    for n, p in hf_names(model):
        tensors[f"grad.{n}"] = p.grad.detach().clone().contiguous()
    tensors["tokens"] = tokens.to(torch.int32)
    tensors["loss"] = out.loss.detach().reshape(1)
    tensors["logits"] = out.logits.detach().reshape(B * T, V).contiguous()
    tensors["train_tokens"] = train_tokens.to(torch.int32)

    model.zero_grad(set_to_none=True)
    decay = [p for _, p in hf_names(model) if p.dim() >= 2]
    no_decay = [p for _, p in hf_names(model) if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": TRAINING["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=TRAINING["lr"], betas=tuple(TRAINING["betas"]), eps=TRAINING["eps"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    losses = []
    for s in range(STEPS):
        batch = train_tokens[s * B:(s + 1) * B]
        opt.zero_grad(set_to_none=True)
        loss = model(batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), TRAINING["clip"])
        opt.step()
        sched.step()
        losses.append(loss.item())
    tensors["adamw_losses"] = torch.tensor(losses, dtype=torch.float32)
    meta = {"config": cfg.to_json_string(), "training": json.dumps(TRAINING)}
    save_file(tensors, os.path.join(HERE, f"{name}.safetensors"), metadata=meta)
    print(f"{name}: loss {out.loss.item():.6f}, adamw losses {[round(l, 5) for l in losses]}")


def write_tiny_tokens():
    """A small token file (8 rows x 16, vocab 30) for the Swift-written checkpoints below."""
    g = torch.Generator().manual_seed(99)
    tokens = torch.randint(0, 30, (8, 16), generator=g).to(torch.int32)
    save_file({"tokens": tokens}, os.path.join(HERE, "tiny_tokens.safetensors"), metadata={"vocab_size": "30"})


def check_swift_checkpoints():
    """transformers loads each checkpoint SAETrack wrote (swift_checkpoint_<arch>/, see README.md here);
    its logits on probe tokens are recorded for the Swift test to compare with its own."""
    from transformers import AutoModelForCausalLM
    summary = {}
    for arch in ["neox", "gpt2"]:
        ckpt = os.path.join(HERE, f"swift_checkpoint_{arch}")
        if not os.path.isdir(ckpt):
            print(f"no {ckpt}; skipping (see README.md)")
            continue
        model, info = AutoModelForCausalLM.from_pretrained(ckpt, attn_implementation="eager", output_loading_info=True)
        model.eval()
        problems = {k: sorted(v) for k, v in info.items() if k != "error_msgs" and v}
        assert not problems, f"{ckpt}: transformers reports {problems}"
        tokens = torch.randint(0, model.config.vocab_size, (2, 16), generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            out = model(tokens, labels=tokens)
        save_file({"tokens": tokens.to(torch.int32), "logits": out.logits.reshape(-1, model.config.vocab_size).contiguous(),
                   "loss": out.loss.reshape(1)},
                  os.path.join(HERE, f"swift_checkpoint_{arch}_transformers.safetensors"))
        summary[arch] = {"model_class": type(model).__name__, "loss": out.loss.item(),
                         "loaded_parameters": sum(p.numel() for p in model.parameters()),
                         "missing_or_unexpected_keys": problems}
        print(f"{arch}: transformers loaded the Swift checkpoint as {type(model).__name__}, loss {out.loss.item():.5f}")
    with open(os.path.join(HERE, "swift_checkpoint_check.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float32)
    for i, (name, model, shape) in enumerate(cases()):
        write_case(name, model, shape, seed=1234 + i)
    write_tiny_tokens()
    check_swift_checkpoints()
