"""Measures a generative PRM (or the policy's own likelihood) the way the library's `genprm` scorer
reads it: a step scores the probability of its least likely token (the step's newline included) given
the question and the steps before it, and the prefix ending there scores the lowest of those so far
(the step and every step before it must be right).

Prints, on labelled rows in train_prm.py's format (the report set of prm-frontier.ts):
- `sibling_pairwise`: on "frontier" rows (one gold prefix, different last steps), how often a right
  last step outscores a wrong sibling (ties count half) — the choice step-level search asks for;
- `auroc` / `frontier_auroc`: step AUROC over whole policy solutions, all steps / steps whose earlier
  steps are all right.

    /usr/bin/python3 tools/train/genprm_metrics.py --rows tools/.work/prm-v2-report.jsonl \
        models/arith-genprm.gguf models/arith-policy.gguf
"""

import argparse
import json

import torch

import vocab
from data import pad_batch, read_jsonl
from import_gguf import load_model
from threads import configure_threads
from train_prm import auroc, pairwise_wins


@torch.no_grad()
def step_scores(model, rows: list[dict], batch: int = 128) -> list[list[float]]:
    """Per row, per step: the running minimum over steps of exp(min log-probability of a step's tokens)."""
    out = []
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        encoded = []
        for r in chunk:
            ids, spans = [vocab.BOS] + vocab.encode(f"Q:{r['question']}\n"), []
            for s in r["steps"]:
                start = len(ids)
                ids += vocab.encode(f"{s}\n")
                spans.append((start, len(ids)))
            encoded.append((ids, spans))
        x, _ = pad_batch([(ids, ids) for ids, _ in encoded])
        logp = model(x).log_softmax(-1)
        for b, (ids, spans) in enumerate(encoded):
            token_lp = logp[b, torch.arange(len(ids) - 1), torch.tensor(ids[1:])]  # lp of token t+1
            own = [float(token_lp[a - 1 : z - 1].min().exp()) for a, z in spans]
            out.append([min(own[: k + 1]) for k in range(len(own))])
    return out


def measure(model, rows: list[dict]) -> dict:
    frontier = [r for r in rows if r["source"] == "frontier"]
    groups: dict[tuple, list[tuple[float, bool]]] = {}
    for r, s in zip(frontier, step_scores(model, frontier)):
        groups.setdefault((r["id"], r["prefix"]), []).append((s[-1], bool(r["labels"][-1])))
    wins, pairs = pairwise_wins(groups.values())
    policy = [r for r in rows if r["source"] == "policy"]
    scores, labels, front = [], [], []
    for r, s in zip(policy, step_scores(model, policy)):
        for k, (score, label) in enumerate(zip(s, r["labels"])):
            scores.append(score)
            labels.append(bool(label))
            front.append(k == 0 or r["labels"][k - 1])
    fs = [s for s, f in zip(scores, front) if f]
    fl = [lab for lab, f in zip(labels, front) if f]
    return {
        "sibling_pairs": pairs,
        "sibling_pairwise": round(wins / pairs, 4) if pairs else None,
        "steps": len(labels),
        "auroc": round(auroc(scores, labels), 4),
        "frontier_auroc": round(auroc(fs, fl), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("models", nargs="+", help="GGUF files or checkpoints")
    a = ap.parse_args()
    configure_threads()
    rows = [r for r in read_jsonl(a.rows) if r["steps"]]
    for path in a.models:
        print(json.dumps({"model": path, **measure(load_model(path).eval(), rows)}), flush=True)


if __name__ == "__main__":
    main()
