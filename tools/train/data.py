"""Loading the generator's JSONL and turning token sequences into padded training batches."""

import json
import random

import torch

import vocab


def read_jsonl(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: str, rows: list[dict]) -> None:
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def pad_batch(examples: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor]:
    """examples: (input ids, target ids with -100 where no loss) of equal length each; right-pads
    inputs with EOS and targets with -100."""
    T = max(len(x) for x, _ in examples)
    inputs = torch.full((len(examples), T), vocab.EOS, dtype=torch.long)
    targets = torch.full((len(examples), T), -100, dtype=torch.long)
    for i, (x, y) in enumerate(examples):
        inputs[i, : len(x)] = torch.tensor(x)
        targets[i, : len(y)] = torch.tensor(y)
    return inputs, targets


def batches(items: list, batch_size: int, rng: random.Random, make, length):
    """Endless shuffled batches of similar-length examples; `make(item)` builds an example (input
    ids, targets) when its batch is served, so random augmentation is fresh every epoch, and
    `length(item)` is its approximate token count. Training is compute-bound on the CPU, so padding
    is wasted time: each window of 32 batches is sorted by length before being cut into batches,
    and the batches are then served in random order."""
    order = list(range(len(items)))
    window = min(32, len(items) // batch_size) * batch_size
    assert window > 0, "fewer items than one batch"
    while True:
        rng.shuffle(order)
        for w in range(0, len(order) - window + 1, window):
            chunk = sorted(order[w : w + window], key=lambda j: length(items[j]))
            cut = [chunk[i : i + batch_size] for i in range(0, window, batch_size)]
            rng.shuffle(cut)
            for b in cut:
                yield pad_batch([make(items[j]) for j in b])
