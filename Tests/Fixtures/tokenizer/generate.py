"""Tokenizer fixtures: a small byte-level BPE trained with Hugging Face `tokenizers`, and its
encodings of awkward test texts, which the Swift tokenizer must reproduce exactly.

Writes (next to this script):
  bpe/tokenizer.json            Pythia style: NFC normalizer, ByteLevel pre-tokenizer, BPE,
                                special <|endoftext|> and <|padding|>, added whitespace tokens
  bpe/vocab.json, bpe/merges.txt  the same model in GPT-2's two-file form
  encodings.json                texts and the ids `tokenizers` gives for both forms, plus decodes
Run: venv/bin/python Tests/Fixtures/tokenizer/generate.py
"""
import json
import os
import random

import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bpe")
os.makedirs(OUT, exist_ok=True)

BASE = [
    "The quick brown fox jumps over the lazy dog. It's what they'd said they'll do, and we've seen it.",
    "Numbers like 12345, 3.14159 and 2026-11-25 appear in text; so do prices ($19.99) and percents (42%).",
    "Café, naïve, résumé, über, São Paulo, Zürich, Ångström and façade have accented letters.",
    "東京は日本の首都です。北京是中国的首都。서울은 한국의 수도입니다.",
    "Emoji: 😀 🎉 👍🏽 🇫🇷 ❤️ — and symbols like ©, ™, ±, ∑, → and …",
    "def main():\n    for i in range(10):\n        print(i)  # indented code\n\treturn None\n",
    "Line one\nLine two\n\nParagraph after a blank line.\r\nWindows line end.",
    "She said: \"Don't!\" He replied, 'I won't.' They're here; you're there; I'm everywhere.",
    "Sparse autoencoders find features in the residual stream of a language model during training.",
    "Checkpoints at steps 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 and then every 1000 steps.",
]


def training_corpus():
    rng = random.Random(0)
    words = " ".join(BASE).split()
    lines = list(BASE)
    for _ in range(3000):
        n = rng.randint(3, 14)
        parts = [rng.choice(words) for _ in range(n)]
        if rng.random() < 0.3:
            parts.insert(rng.randint(0, n), str(rng.randint(0, 99999)))
        sep = rng.choice([" ", " ", " ", "  ", "\n", "\t", ", "])
        lines.append(sep.join(parts))
    return lines


def train():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800,
        min_frequency=2,
        special_tokens=["<|endoftext|>", "<|padding|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_corpus(), trainer)
    # Pythia adds runs of spaces as ordinary (normalized, non-special) added tokens.
    tok.add_tokens([tokenizers.AddedToken("    ", normalized=True), tokenizers.AddedToken("        ", normalized=True)])
    return tok


TEXTS = BASE + [
    "",
    " ",
    "   leading spaces and trailing spaces   ",
    "tabs\tand\t\tdouble tabs\t",
    "multiple     spaces    between  words",
    "new\nlines\n\n\nand\r\ncarriage returns\n",
    "   \n   \t  mixed whitespace runs   \n",
    "digits 0 00 007 1234567890 3.5e-10 1,000,000",
    "punctuation!!! ??? ... --- ((nested)) [brackets] {braces} <angle> @#$%^&*_+=~`|\\/",
    "contractions: it's isn't we're they've I'm you'll he'd 'S 'T capital 'Re 'sup",
    "accents: àéîõü ÀÉÎÕÜ ñ ç ø å æ œ ß; combining: e\u0301 a\u0300 (NFC composes them)",
    "CJK: 我爱自然语言处理。日本語のテキスト。한국어 텍스트.",
    "emoji: 🤖🧠✨ 👩‍💻 🏳️‍🌈 family 👨‍👩‍👧‍👦 flags 🇺🇸🇯🇵",
    "special tokens inline: before<|endoftext|>after <|padding|> and <|endoftext|><|endoftext|>",
    "added whitespace tokens:        eight spaces, then    four spaces",
    "mixed: Привет мир! Γειά σου κόσμε! مرحبا بالعالم! שלום עולם!",
    "unicode spaces:\u00a0nbsp\u2003em\u3000ideographic\u2028line-sep",
    "math ∀x∈ℝ: x²≥0, ½ + ¼ = ¾, Ⅻ roman numeral, ٣ arabic-indic digit",
    "a'b a''b ''s '' ' s ' 'll'",
    "URL https://example.com/path?q=1&r=2#frag and e-mail name@example.org",
    "zero\u200bwidth space and soft\u00adhyphen",
    # Long words exercise the heap merge path (> 48 symbols).
    "".join(random.Random(1).choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(3000)),
    "a" * 257 + " " + "the" * 100 + " " + "1234567890" * 30,
    "".join(random.Random(2).choice(["the", "quick", "fox", "é", "東", "😀", "'s"]) for _ in range(400)),
]


def main():
    tok = train()
    tok.save(os.path.join(OUT, "tokenizer.json"))
    tok.model.save(OUT)  # vocab.json + merges.txt

    gpt2 = Tokenizer(models.BPE.from_file(os.path.join(OUT, "vocab.json"), os.path.join(OUT, "merges.txt")))
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    gpt2.decoder = decoders.ByteLevel()
    gpt2.add_special_tokens(["<|endoftext|>"])

    reloaded = Tokenizer.from_file(os.path.join(OUT, "tokenizer.json"))
    cases = []
    for text in TEXTS:
        ids = reloaded.encode(text, add_special_tokens=False).ids
        ids2 = gpt2.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": reloaded.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": reloaded.decode(ids, skip_special_tokens=True),
            "gpt2_ids": ids2,
            "gpt2_decoded": gpt2.decode(ids2, skip_special_tokens=False),
        })
    meta = {
        "tokenizers_version": tokenizers.__version__,
        "vocab_size": reloaded.get_vocab_size(with_added_tokens=True),
        "gpt2_vocab_size": gpt2.get_vocab_size(with_added_tokens=True),
        "cases": cases,
    }
    with open(os.path.join(HERE, "encodings.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    print(f"vocab {meta['vocab_size']}, {len(cases)} texts, tokenizers {tokenizers.__version__}")


if __name__ == "__main__":
    main()
