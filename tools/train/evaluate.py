"""Measures the policy per level in PyTorch: greedy accuracy, mean single-sample accuracy at
temperature 0.7, majority vote (maj@k) and coverage (any sample correct, coverage@k).

    /usr/bin/python3 tools/train/evaluate.py --policy policy.pt --problems test.jsonl --k 32 --out R.json
"""

import argparse
import json
from collections import Counter

import torch

from data import read_jsonl
from model import load_checkpoint
from sampler import answer_of, sample_many
from threads import configure_threads


def majority(answers: list[str | None]) -> str | None:
    """Most frequent non-null answer; ties go to the answer seen first (Counter keeps insertion order)."""
    counts = Counter(a for a in answers if a is not None)
    return counts.most_common(1)[0][0] if counts else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", required=True)
    ap.add_argument("--problems", required=True)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    configure_threads()
    model, _ = load_checkpoint(a.policy)
    problems = read_jsonl(a.problems)
    prompts = [p["prompt"] for p in problems]
    greedy = [answer_of(o) for o in sample_many(model, prompts, 0.0, 0)]
    samples = [[answer_of(o) for o in sample_many(model, prompts, a.temperature, 1000 * (j + 1))] for j in range(a.k)]
    per_problem = [[samples[j][i] for j in range(a.k)] for i in range(len(problems))]

    report = {}
    for level in sorted({p["level"] for p in problems}):
        idx = [i for i, p in enumerate(problems) if p["level"] == level]
        gold = {i: problems[i]["answer"] for i in idx}
        mean = lambda xs: round(sum(xs) / len(xs), 3)  # noqa: E731
        row = {
            "n": len(idx),
            "greedy": mean([greedy[i] == gold[i] for i in idx]),
            f"single@T{a.temperature}": mean([s == gold[i] for i in idx for s in per_problem[i]]),
        }
        for k in sorted({8, a.k}):
            row[f"maj@{k}"] = mean([majority(per_problem[i][:k]) == gold[i] for i in idx])
            row[f"coverage@{k}"] = mean([gold[i] in per_problem[i][:k] for i in idx])
        report[level] = row
        print(f"level {level}: {row}", flush=True)
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
