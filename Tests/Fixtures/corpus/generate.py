"""Synthetic-corpus fixture: checks that the WordLevel tokenizer.json SAETrack writes for its
synthetic corpus loads in Hugging Face `tokenizers` and encodes the corpus text to the very
tokens SAETrack generated.

Runs `saetrack corpus` (the release binary, built if missing) for a small corpus, then writes
next to this script:
  tokenizer.json      the file SAETrack wrote (the Swift test checks it is still byte-identical)
  verification.json   per row: the decoded text, the ids `tokenizers` encodes it to, and whether
                      they equal SAETrack's row; plus `tokenizers.decode` of the row
Run from the repository root: venv/bin/python Tests/Fixtures/corpus/generate.py
"""
import json
import os
import shutil
import subprocess
import tempfile

import tokenizers
from safetensors.numpy import load_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
BINARY = os.environ.get("SAETRACK_BIN", os.path.join(ROOT, ".build", "release", "saetrack"))
SEED, DOCUMENTS, CONTEXT = 7, 24, 64


def main():
    if not os.path.exists(BINARY):
        subprocess.run(["swift", "build", "-c", "release", "--product", "saetrack"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([BINARY, "corpus", "--out", tmp, "--documents", str(DOCUMENTS), "--seed", str(SEED),
                        "--context", str(CONTEXT)], check=True, stdout=subprocess.DEVNULL)
        shutil.copy(os.path.join(tmp, "tokenizer.json"), os.path.join(HERE, "tokenizer.json"))
        tokens = load_file(os.path.join(tmp, "tokens.safetensors"))["tokens"]
        with open(os.path.join(tmp, "features.json")) as f:
            features = json.load(f)

    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))
    vocab = tok.get_vocab(with_added_tokens=True)
    inverse = {i: w for w, i in vocab.items()}
    rows = []
    for row in tokens.tolist():
        text = " ".join(inverse[i] for i in row)
        ids = tok.encode(text, add_special_tokens=False).ids
        rows.append({
            "text": text,
            "ids": ids,
            "equal": ids == row,
            "decoded": tok.decode(row, skip_special_tokens=False),
        })
    result = {
        "tokenizers_version": tokenizers.__version__,
        "seed": SEED,
        "documents": DOCUMENTS,
        "context": CONTEXT,
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "bos": tok.token_to_id("<|endoftext|>"),
        "unk_encoding": tok.encode("zebra the", add_special_tokens=False).ids,
        "feature_names": [f["name"] for f in features["features"]],
        "all_rows_equal": all(r["equal"] for r in rows),
        "rows": rows,
    }
    with open(os.path.join(HERE, "verification.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"tokenizers {tokenizers.__version__}: {len(rows)} rows, all equal: {result['all_rows_equal']}, "
          f"vocab {result['vocab_size']}")
    if not result["all_rows_equal"]:
        raise SystemExit("tokenizers disagrees with SAETrack's corpus tokens")


if __name__ == "__main__":
    main()
