"""Batched sampling from a checkpoint with a KV cache.

Every sequence starts at position 0 with <s>, so a batch advances one position per step for all
rows together; rows whose prompt is longer than the current position are teacher-forced with their
prompt token instead of the sample. That avoids padding and per-row positions entirely.
"""

import torch

import vocab
from model import Transformer


@torch.no_grad()
def sample(
    model: Transformer, prompts: list[str], temperature: float, seed: int, max_new: int = 150
) -> list[str]:
    """One completion per prompt (text after the prompt, up to but excluding </s>)."""
    gen = torch.Generator().manual_seed(seed)
    enc = [[vocab.BOS] + vocab.encode(p) for p in prompts]
    B, plen = len(enc), torch.tensor([len(e) for e in enc])
    forced = torch.full((B, int(plen.max())), vocab.EOS, dtype=torch.long)
    for i, e in enumerate(enc):
        forced[i, : len(e)] = torch.tensor(e)
    caches = [{} for _ in model.blocks]
    start = int(plen.min())
    logits = model(forced[:, :start], caches, 0)[:, -1]
    out = torch.full((B, int(plen.max()) + max_new), vocab.EOS, dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    for pos in range(start, min(int(plen.max()) + max_new, model.cfg.context_length)):
        if temperature == 0:
            nxt = logits.argmax(-1)
        else:
            nxt = torch.multinomial((logits / temperature).softmax(-1), 1, generator=gen).squeeze(1)
        in_prompt = pos < plen
        if pos < forced.shape[1]:
            nxt = torch.where(in_prompt, forced[:, pos], nxt)
        out[:, pos] = nxt
        done |= ~in_prompt & (nxt == vocab.EOS)
        if bool(done.all()):
            break
        logits = model(nxt[:, None], caches, pos)[:, -1]
    texts = []
    for i in range(B):
        ids = out[i, plen[i] :].tolist()
        texts.append(vocab.decode(ids[: ids.index(vocab.EOS)] if vocab.EOS in ids else ids))
    return texts


def sample_many(model, prompts: list[str], temperature: float, seed: int, batch: int = 512) -> list[str]:
    """`sample` in chunks of `batch` rows (bounded memory), seeds derived per chunk."""
    out: list[str] = []
    for i in range(0, len(prompts), batch):
        out += sample(model, prompts[i : i + batch], temperature, seed + i)
    return out


def answer_of(text: str) -> str | None:
    """Mirror of extractArithAnswer (src/tasks/arith/verify.ts) for metrics computed in Python:
    the integer of the last `A:<n>` line."""
    last = None
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("A:") and s[2:].strip().lstrip("-").isdigit():
            last = str(int(s[2:].strip()))
    return last
