"""Trains the policy on generator data: `<s>Q:...\n<solution></s>`, loss on the solution only.

The policy must be imperfect on purpose (the library demonstrates that sampling, voting and search
help), with errors that are random rather than systematic. train-all.sh runs two phases:
1. clean data from scratch until the model reads the task (`--stop-l5`: stop at the first evaluation
   where level-5 accuracy at temperature 0.7 reaches the value while level 2 is at most `--max-l2`);
2. from that checkpoint (`--init`), training on solutions with injected step errors (`--noise`, see
   noise.py), which sets the per-step error rate of sampling.
Every `--eval-every` steps it logs single-sample accuracy at temperature 0.7 on validation problems.

    /usr/bin/python3 tools/train/train_policy.py --train train.jsonl --valid valid.jsonl --out policy.pt
"""

import argparse
import math
import random
import time

import torch
import torch.nn.functional as F

import vocab
from data import batches, read_jsonl
from model import Config, Transformer, load_checkpoint, save_checkpoint
from noise import noisy_solution
from sampler import answer_of, sample
from threads import configure_threads


def example(row: dict, solution: str | None = None) -> tuple[list[int], list[int]]:
    prompt = [vocab.BOS] + vocab.encode(row["prompt"])
    seq = prompt + vocab.encode(solution or row["solution"]) + [vocab.EOS]
    targets = [-100] * (len(prompt) - 1) + seq[len(prompt) :]
    return seq[:-1], targets


def accuracy(model, rows: list[dict], temperature: float, seed: int) -> float:
    outs = sample(model, [r["prompt"] for r in rows], temperature, seed)
    return sum(answer_of(o) == r["answer"] for o, r in zip(outs, rows)) / len(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000, help="upper bound; also sets the LR schedule")
    ap.add_argument("--stop-after", type=int, help="stop after this many steps (the schedule still spans --steps)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--d-ff", type=int, default=352)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--init", help="checkpoint to continue from (architecture flags are then ignored)")
    ap.add_argument("--noise", type=float, default=0.0, help="per-step error rate of the targets")
    ap.add_argument("--stop-l5", type=float, help="early stop (see module doc); off when absent")
    ap.add_argument("--max-l2", type=float, default=0.88)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    configure_threads()
    torch.manual_seed(a.seed)
    if a.init:
        model, _ = load_checkpoint(a.init)
    else:
        model = Transformer(Config(vocab.VOCAB_SIZE, d_model=a.d_model, n_layers=a.layers, d_ff=a.d_ff))
    print(f"params {model.n_params()}", flush=True)
    train = read_jsonl(a.train)
    noise_rng = random.Random(a.seed + 1)
    make = lambda r: example(r, noisy_solution(r["prompt"], a.noise, noise_rng) if a.noise else None)  # noqa: E731
    valid = read_jsonl(a.valid)
    valid_by_level = {lv: [r for r in valid if r["level"] == lv][:200] for lv in (2, 5)}
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=0.01)
    warmup = 100
    schedule = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, a.steps) / a.steps))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    it = batches(train, a.batch, random.Random(a.seed), make, lambda r: len(r["prompt"]) + len(r["solution"]))
    t0 = time.time()
    for step in range(1, a.steps + 1):
        model.train()
        x, y = next(it)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % a.eval_every == 0 or step == a.steps:
            model.eval()
            acc = {lv: accuracy(model, rows, 0.7, step) for lv, rows in valid_by_level.items()}
            print(
                f"step {step} loss {loss.item():.4f} acc@T0.7 L2 {acc[2]:.3f} L5 {acc[5]:.3f} "
                f"elapsed {time.time() - t0:.0f}s",
                flush=True,
            )
            save_checkpoint(model, a.out, {"step": step, "val_acc": acc, "train_seconds": time.time() - t0})
            if a.stop_l5 is not None and acc[5] >= a.stop_l5 and acc[2] <= a.max_l2:
                print(f"stopping at step {step}: inside the target band", flush=True)
                break
            if a.stop_after is not None and step >= a.stop_after:
                print(f"stopping at step {step} (--stop-after)", flush=True)
                break


if __name__ == "__main__":
    main()
