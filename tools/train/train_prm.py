"""Trains the process reward model (Math-Shepherd style) from the policy's own labelled samples.

Input contract with the library's PRM scorer (keep it exact): `<s>Q:<question>\n` then every step
line as `<step>#\n`. At each `#` the model predicts `+` (the step is prefix-correct by the exact
verifier) or `-`; there is no language-model loss elsewhere. The step score at inference is
P(+) / (P(+) + P(-)) of the next-token distribution at the `#` position.

The PRM starts from the policy's weights (it already reads the task) and is fine-tuned. Training
evaluates step AUROC on a development set every `--eval-every` steps and stops once it reaches
`--stop-auroc`, keeping the PRM useful but imperfect; the final numbers come from a separate report
set.

    /usr/bin/python3 tools/train/train_prm.py --init policy.pt --train L.jsonl --dev D.jsonl \
        --report R.jsonl --out prm.pt
"""

import argparse
import json
import math
import random
import re
import time

import torch
import torch.nn.functional as F

import vocab
from data import batches, pad_batch, read_jsonl
from import_gguf import load_model
from model import save_checkpoint
from threads import configure_threads

TAG, PLUS, MINUS = vocab.CHAR_TO_ID["#"], vocab.CHAR_TO_ID["+"], vocab.CHAR_TO_ID["-"]


def gold_steps(question: str) -> list[str]:
    """The gold solution lines of `question` (`96-7+32` → `96-7=89`, `89+32=121`, `A:121`)."""
    m = re.fullmatch(r"(\d+)((?:[+-]\d+)+)", question)
    assert m, question
    value, steps = int(m.group(1)), []
    for op, operand in re.findall(r"([+-])(\d+)", m.group(2)):
        result = value + int(operand) if op == "+" else value - int(operand)
        steps.append(f"{value}{op}{operand}={result}")
        value = result
    return steps + [f"A:{value}"]


def example(row: dict, dense: bool = False) -> tuple[list[int], list[int]]:
    """(input ids, targets): targets are +/- at the `#` positions and ignored elsewhere.

    With `dense`, every character of a step gets a target too: `+` while the step so far is a prefix
    of the gold step (after a right prefix), `-` once it is not. The scorer still reads only the
    tag, but the dense targets let each character be checked where it stands (the result digit at
    its own position, the operand against the question), and the tag only has to gather them —
    a sparse target at the tag alone asks one position to redo the whole step."""
    text = f"Q:{row['question']}\n" + "".join(f"{s}#\n" for s in row["steps"])
    ids = [vocab.BOS] + vocab.encode(text)
    labels = iter(row["labels"])
    targets = [(PLUS if next(labels) else MINUS) if t == TAG else -100 for t in ids]
    if dense:
        gold = gold_steps(row["question"])
        pos = 1 + len(f"Q:{row['question']}\n")
        ok = True  # every earlier step right
        for k, step in enumerate(row["steps"]):
            want = gold[k] if k < len(gold) else ""
            # A step the verifier accepts in another spelling (a leading zero) has no dense targets.
            consistent = not (row["labels"][k] and step != want)
            for j in range(len(step)):
                if consistent:
                    targets[pos + j] = PLUS if ok and want.startswith(step[: j + 1]) else MINUS
            pos += len(step) + 2  # the step, '#', '\n'
            ok = ok and row["labels"][k]
    return ids, targets


def usable(row: dict) -> bool:
    """Drops samples whose text the PRM could not see as the contract says: a step containing '#'
    would shift the tags, and overlong ones exceed the context."""
    return row["steps"] and not any("#" in s for s in row["steps"]) and len(example(row)[0]) <= 250


@torch.no_grad()
def step_scores(model, rows: list[dict], batch: int = 256) -> tuple[list[float], list[bool], list[dict]]:
    """Scores and labels of every step of `rows`, plus per-row metadata for breakdowns."""
    scores, labels, meta = [], [], []
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        x, y = pad_batch([example(r) for r in chunk])
        p = model(x).softmax(-1)
        s = p[..., PLUS] / (p[..., PLUS] + p[..., MINUS])
        for b, r in enumerate(chunk):
            pos = (y[b] != -100).nonzero().flatten().tolist()
            scores += [float(s[b, j]) for j in pos]
            labels += [bool(lab) for lab in r["labels"]]
            # A step is on the "frontier" when every earlier step is right: only there can the
            # first error occur, so only there does a score reflect checking this step.
            meta += [{"level": r["level"], "frontier": k == 0 or r["labels"][k - 1]} for k in range(len(pos))]
    return scores, labels, meta


def auroc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a random correct step outscores a random incorrect one (ties count half)."""
    pairs = sorted(zip(scores, labels))
    pos = sum(labels)
    neg = len(labels) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + j + 1) / 2  # ranks are 1-based
        rank_sum += avg_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


@torch.no_grad()
def sibling_pairwise(model, rows: list[dict]) -> float:
    """On frontier rows (same gold prefix, different last step): the probability that a right last
    step outscores a wrong sibling (ties count half) — what step-level search needs from a PRM."""
    groups: dict[tuple, list[tuple[float, bool]]] = {}
    for i in range(0, len(rows), 256):
        chunk = rows[i : i + 256]
        x, y = pad_batch([example(r) for r in chunk])
        p = model(x).softmax(-1)
        s = p[..., PLUS] / (p[..., PLUS] + p[..., MINUS])
        for b, r in enumerate(chunk):
            last = (y[b] != -100).nonzero().flatten().tolist()[-1]
            groups.setdefault((r["id"], r["prefix"]), []).append((float(s[b, last]), bool(r["labels"][-1])))
    wins, pairs = pairwise_wins(groups.values())
    return wins / pairs if pairs else float("nan")


def pairwise_wins(groups) -> tuple[float, int]:
    """Over groups of (score, label) siblings: (wins, pairs) of right members against wrong ones,
    ties counting half."""
    wins, pairs = 0.0, 0
    for members in groups:
        for good, gl in members:
            for bad, bl in members:
                if gl and not bl:
                    pairs += 1
                    wins += 1.0 if good > bad else 0.5 if good == bad else 0.0
    return wins, pairs


def metrics(model, rows: list[dict], frontier_rows: list[dict] | None = None) -> dict:
    scores, labels, meta = step_scores(model, rows)
    acc = sum((s > 0.5) == lab for s, lab in zip(scores, labels)) / len(labels)
    frontier = [k for k, m in enumerate(meta) if m["frontier"]]
    out = {
        "steps": len(labels),
        "positive_rate": round(sum(labels) / len(labels), 3),
        "accuracy": round(acc, 4),
        "auroc": round(auroc(scores, labels), 4),
        "frontier_auroc": round(auroc([scores[k] for k in frontier], [labels[k] for k in frontier]), 4),
    }
    by_level = {}
    for level in sorted({m["level"] for m in meta}):
        idx = [k for k, m in enumerate(meta) if m["level"] == level]
        s, lab = [scores[k] for k in idx], [labels[k] for k in idx]
        by_level[level] = {
            "accuracy": round(sum((a > 0.5) == b for a, b in zip(s, lab)) / len(lab), 4),
            "auroc": round(auroc(s, lab), 4),
        }
    out["by_level"] = by_level
    if frontier_rows:
        out["sibling_pairwise"] = round(sibling_pairwise(model, frontier_rows), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True, help="policy checkpoint (.pt) or GGUF to start from")
    ap.add_argument("--train", required=True)
    ap.add_argument("--dev", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--metrics-out", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--stop-auroc", type=float, default=0.93, help="stop early once dev AUROC reaches this")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--dense", action="store_true", help="targets at every step character, not only at the tags")
    ap.add_argument("--eval-rows", type=int, default=0, help="evaluate on the first N dev rows only (0: all)")
    a = ap.parse_args()

    configure_threads()
    torch.manual_seed(a.seed)
    model = load_model(a.init)
    train = [r for r in read_jsonl(a.train) if usable(r)]
    dev_all = [r for r in read_jsonl(a.dev) if usable(r)]
    dev = [r for r in dev_all if r["source"] == "policy"]
    dev_frontier = [r for r in dev_all if r["source"] == "frontier"]
    report_all = [r for r in read_jsonl(a.report) if usable(r)]
    report = [r for r in report_all if r["source"] == "policy"]
    report_frontier = [r for r in report_all if r["source"] == "frontier"]
    if a.eval_rows:
        dev, dev_frontier = dev[: a.eval_rows], dev_frontier[: a.eval_rows]
    print(f"train {len(train)} sequences, dev {len(dev)} (+{len(dev_frontier)} frontier), report {len(report)}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=0.01)
    warmup = 50
    schedule = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, a.steps) / a.steps))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    it = batches(train, a.batch, random.Random(a.seed), lambda r: example(r, a.dense), lambda r: sum(len(s) + 2 for s in r["steps"]))
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
            m = metrics(model, dev, dev_frontier)
            print(
                f"step {step} loss {loss.item():.4f} dev acc {m['accuracy']} auroc {m['auroc']} "
                f"frontier auroc {m['frontier_auroc']} sibling pairwise {m.get('sibling_pairwise')} "
                f"elapsed {time.time() - t0:.0f}s",
                flush=True,
            )
            if (a.stop_auroc is not None and m["auroc"] >= a.stop_auroc) or step == a.steps:
                print(f"stopping at step {step}", flush=True)
                break
    train_seconds = time.time() - t0
    save_checkpoint(model, a.out, {"step": step, "train_seconds": train_seconds})
    final = {"step": step, "train_seconds": round(train_seconds), "dev": m, "report": metrics(model, report, report_frontier)}
    print(json.dumps(final["report"]), flush=True)
    with open(a.metrics_out, "w") as f:
        json.dump(final, f, indent=2)


if __name__ == "__main__":
    main()
