"""Samples policy solutions for generator problems (PRM training/evaluation data).

    /usr/bin/python3 tools/train/sample_solutions.py --policy policy.pt --problems P.jsonl \
        --per-problem 4 --temperatures 0.7,1.0 --out S.jsonl

Each problem gets `--per-problem` samples, spread round-robin over the temperatures. Output rows:
`{id, level, question, solution, temperature, source: "policy"}`, plus one `source: "gold"` row per
problem with `--gold`, so the PRM also sees fully correct long solutions at levels the policy fails.
"""

import argparse

import torch

from data import read_jsonl, write_jsonl
from model import load_checkpoint
from sampler import sample_many
from threads import configure_threads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", required=True)
    ap.add_argument("--problems", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-problem", type=int, default=4)
    ap.add_argument("--temperatures", default="0.7,1.0")
    ap.add_argument("--gold", action="store_true")
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    configure_threads()
    model, _ = load_checkpoint(a.policy)
    problems = read_jsonl(a.problems)
    temps = [float(t) for t in a.temperatures.split(",")]
    rows = []
    for k in range(a.per_problem):
        t = temps[k % len(temps)]
        outs = sample_many(model, [p["prompt"] for p in problems], t, a.seed + 100_000 * k)
        for p, sol in zip(problems, outs):
            q = p["prompt"].strip()[2:]
            rows.append({"id": p["id"], "level": p["level"], "question": q, "solution": sol, "temperature": t, "source": "policy"})
    if a.gold:
        for p in problems:
            q = p["prompt"].strip()[2:]
            rows.append({"id": p["id"], "level": p["level"], "question": q, "solution": p["solution"], "temperature": 0, "source": "gold"})
    write_jsonl(a.out, rows)
    print(f"wrote {len(rows)} solutions to {a.out}", flush=True)


if __name__ == "__main__":
    main()
