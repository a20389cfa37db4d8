"""Reference for SAETrack's MixingActivationStore: the paper's activation store, transcribed.

Run by hand (never by the tests):  venv/bin/python Tests/Fixtures/store/generate.py

SAE-Track trains on the ActivationsStore of its `sae_training/activations_store.py` (the early
SAELens store): `get_buffer` reads n_batches_in_buffer // 2 store batches from the LM and permutes
them (`torch.randperm`); the initial half is the storage buffer; `get_data_loader` puts a new half
in front of the storage (`torch.cat([new, storage])`), permutes the concatenation, keeps the first
half as the new storage and serves the second half through `DataLoader(batch_size, shuffle=True)`;
`next_batch` refills when that loader is exhausted. The reference never seeds its permutations;
SAETrack draws them from its seeded xoshiro256** generator, so this transcription does the same
(`SeededRandom` below is a port of Sources/SAETrackCore/Random.swift: splitmix64 seeding,
xoshiro256**, Fisher-Yates) and otherwise follows the store's code line by line, with torch doing
the indexing and DataLoader the batching (its shuffle replaced by a sampler holding the seeded
permutation: the same order contract as shuffle=True).

The LM is replaced by a stream of random rows read in store batches of `block` rows.

Writes store_reference.safetensors:
  stream         F32 [N, d]        the producer's rows, in order
  storage        F32 [H, d]        the storage buffer right after construction (b_dec sample)
  batches        F32 [K, B, d]     the first K training batches served
  storage_after  F32 [H, d]        the storage buffer after those K batches
metadata: half (H), block, batch (B), seed, batches (K), d.
"""
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file
from torch.utils.data import DataLoader

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class SeededRandom:
    def __init__(self, seed):
        z = seed & M64
        s = []
        for _ in range(4):
            z = (z + GOLDEN) & M64
            x = z
            x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
            x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
            s.append(x ^ (x >> 31))
        self.s = s

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & M64, 7) * 9) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def randperm(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.next() % (i + 1)
            p[i], p[j] = p[j], p[i]
        return torch.tensor(p, dtype=torch.long)


class Stream:
    """The LM side: store batches of `block` activations, in order."""

    def __init__(self, rows, block):
        self.rows, self.block, self.cursor = rows, block, 0

    def next_store_batch(self):
        b = self.rows[self.cursor:self.cursor + self.block]
        self.cursor += self.block
        assert b.shape[0] == self.block, "reference stream too short"
        return b


class ActivationsStore:
    def __init__(self, stream, n_batches_in_buffer, train_batch_size, seed):
        self.stream = stream
        self.n_batches_in_buffer = n_batches_in_buffer
        self.train_batch_size = train_batch_size
        self.seed = seed
        self.event = 0
        self.rng = SeededRandom(seed)                       # event 0: the initial fill
        self.storage_buffer = self.get_buffer(n_batches_in_buffer // 2)
        self.dataloader = None                              # SAETrack builds the first loader at the first batch

    def get_buffer(self, n_batches):
        new_buffer = torch.cat([self.stream.next_store_batch() for _ in range(n_batches)])
        new_buffer = new_buffer[self.rng.randperm(new_buffer.shape[0])]
        return new_buffer

    def get_data_loader(self):
        self.event += 1
        self.rng = SeededRandom(self.seed ^ ((self.event * GOLDEN) & M64))
        mixing_buffer = torch.cat([self.get_buffer(self.n_batches_in_buffer // 2), self.storage_buffer])
        mixing_buffer = mixing_buffer[self.rng.randperm(mixing_buffer.shape[0])]
        self.storage_buffer = mixing_buffer[: mixing_buffer.shape[0] // 2]
        served = mixing_buffer[mixing_buffer.shape[0] // 2:]
        order = self.rng.randperm(served.shape[0]).tolist()   # DataLoader(shuffle=True)'s permutation
        return iter(DataLoader(served, batch_size=self.train_batch_size, sampler=order))

    def next_batch(self):
        try:
            if self.dataloader is None:
                raise StopIteration
            return next(self.dataloader)
        except StopIteration:
            self.dataloader = self.get_data_loader()
            return next(self.dataloader)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    d, block, n_batches_in_buffer, batch, seed, k = 3, 8, 12, 12, 0x5EED, 22
    half = n_batches_in_buffer // 2 * block              # 48 = 4 batches of 12
    rng = np.random.default_rng(20260412)
    n = half * (2 + (k * batch) // half + 1)
    rows = torch.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    store = ActivationsStore(Stream(rows, block), n_batches_in_buffer, batch, seed)
    storage = store.storage_buffer.clone()
    batches = torch.stack([store.next_batch() for _ in range(k)])
    meta = {"half": half, "block": block, "batch": batch, "seed": seed, "batches": k, "d": d}
    save_file({"stream": rows.contiguous(), "storage": storage.contiguous(), "batches": batches.contiguous(),
               "storage_after": store.storage_buffer.contiguous()},
              os.path.join(here, "store_reference.safetensors"), metadata={k_: json.dumps(v) for k_, v in meta.items()})
    print("wrote store_reference.safetensors:", meta, "stream rows", n)


if __name__ == "__main__":
    main()
