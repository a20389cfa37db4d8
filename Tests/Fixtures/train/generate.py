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

It also checks a checkpoint that SAETrack wrote (if `swift_checkpoint/` exists here, made by
`saetrack train-lm` per the README in this folder): transformers loads it and its logits are
compared with the Swift-recorded ones; the result goes to `swift_checkpoint_check.json`.

Rerun: /work/venv/bin/python Tests/Fixtures/train/generate.py   (torch CPU, transformers 5.x)
"""
import json
import math
import os

import torch
from safetensors.torch import save_file, load_file
from transformers import GPT2Config, GPT2LMHeadModel, GPTNeoXConfig, GPTNeoXForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
B, T, STEPS = 3, 11, 5
TRAINING = dict(lr=1e-2, betas=[0.9, 0.95], eps=1e-8, weight_decay=0.1, warmup=2, min_lr_ratio=0.1,
                clip=0.5, steps=STEPS)


def cases():
    """Each model is built right after seeding (construction draws random numbers too)."""
    torch.manual_seed(11)
    yield "neox_parallel", GPTNeoXForCausalLM(GPTNeoXConfig(
        vocab_size=37, hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=40,
        rotary_pct=0.5, max_position_embeddings=16, use_parallel_residual=True, tie_word_embeddings=False,
        attn_implementation="eager"))
    torch.manual_seed(12)
    yield "neox_sequential_tied", GPTNeoXForCausalLM(GPTNeoXConfig(
        vocab_size=29, hidden_size=18, num_hidden_layers=2, num_attention_heads=3, intermediate_size=26,
        rotary_pct=0.75, max_position_embeddings=16, use_parallel_residual=False, tie_word_embeddings=True,
        attn_implementation="eager"))
    torch.manual_seed(13)
    yield "gpt2", GPT2LMHeadModel(GPT2Config(
        vocab_size=41, n_embd=20, n_layer=2, n_head=4, n_inner=36, n_positions=16,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        attn_implementation="eager"))


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


def write_case(name, model, seed):
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


def check_swift_checkpoint():
    """transformers loads the Swift-written checkpoint and reproduces the logits Swift recorded."""
    ckpt = os.path.join(HERE, "swift_checkpoint")
    if not os.path.isdir(ckpt):
        print("no swift_checkpoint/ here; skipping the transformers load check")
        return
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(ckpt, attn_implementation="eager").eval()
    probe = load_file(os.path.join(HERE, "swift_checkpoint_logits.safetensors"))
    tokens = probe["tokens"].long()
    with torch.no_grad():
        logits = model(tokens).logits.reshape(-1, model.config.vocab_size)
    swift = probe["logits"]
    err = ((logits - swift).abs().max() / swift.abs().max()).item()
    result = {"model_type": model.config.model_type, "architectures": model.config.architectures,
              "tokens_shape": list(tokens.shape), "max_abs_logit": swift.abs().max().item(),
              "max_rel_error_vs_swift": err, "matches": err <= 1e-4,
              "transformers_logits": logits.reshape(-1)[:16].tolist()}
    with open(os.path.join(HERE, "swift_checkpoint_check.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(f"swift checkpoint: transformers loads it, max rel logit error {err:.2e}")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float32)
    for i, (name, model) in enumerate(cases()):
        write_case(name, model, seed=1234 + i)
    check_swift_checkpoint()
