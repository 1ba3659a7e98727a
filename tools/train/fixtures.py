"""Writes test/fixtures/arith-reference.json: PyTorch reference outputs of the exported models, so
tests can check llama.cpp's outputs against them (tolerance 0.05).

The reference runs the checkpoints with their weights rounded through float16, exactly the values
the GGUF stores, so the remaining difference is llama.cpp's arithmetic only.

    /usr/bin/python3 tools/train/fixtures.py --policy policy.pt --prm prm.pt --genprm genprm.pt --out FILE.json
"""

import argparse
import json

import torch

import vocab
from model import load_checkpoint

PLUS, MINUS = vocab.CHAR_TO_ID["+"], vocab.CHAR_TO_ID["-"]

# Next-token distributions of the policy after a prompt and after partial solutions.
POLICY_TEXTS = [
    "Q:57+38-19+44\n",
    "Q:57+38-19+44\n57+38=95\n",
    "Q:96-7+32-58\n96-7=89\n89+32=1",
]

# Generative PRM: next-token distributions where it must judge a result digit (right and slipped
# prefixes of the same step).
GENPRM_TEXTS = [
    "Q:96-7+32-58\n96-7=89\n89+32=1",
    "Q:96-7+32-58\n96-7=89\n89+32=11",
    "Q:57+38-19+44\n57+38=95\n",
]

# PRM inputs: question plus step lines; each case mixes right and wrong steps.
PRM_CASES = [
    ("96-7+32-58", ["96-7=89", "89+32=121", "121-58=63", "A:63"]),  # gold
    ("96-7+32-58", ["96-7=89", "89+32=111", "111-58=53", "A:53"]),  # wrong arithmetic in step 2
    ("57+38-19+44", ["57+38=95", "95-19=76", "A:76"]),  # skipped the last operation
]


def f16_model(path: str):
    model, _ = load_checkpoint(path)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 2:
                p.copy_(p.half().float())
    return model


def token_name(i: int) -> str:
    return vocab.TOKENS[i].replace("\u2581", " ")


@torch.no_grad()
def policy_case(model, text: str) -> dict:
    ids = [vocab.BOS] + vocab.encode(text)
    logp = model(torch.tensor([ids]))[0, -1].log_softmax(-1)
    top = logp.topk(10)
    return {
        "text": text,
        "tokenIds": ids,
        # Tokens below e^-15 are left out: llama.cpp's probabilities bottom out near e^-25, so tails
        # that far down do not compare.
        "top": {token_name(int(i)): round(float(v), 5) for v, i in zip(top.values, top.indices) if v >= -15},
    }


def prm_input(question: str, steps: list[str]) -> str:
    """The PRM input contract: `Q:<question>\n` then every step as `<step>#\n`."""
    return f"Q:{question}\n" + "".join(f"{s}#\n" for s in steps)


@torch.no_grad()
def prm_case(model, question: str, steps: list[str]) -> dict:
    text = prm_input(question, steps)
    ids = [vocab.BOS] + vocab.encode(text)
    logits = model(torch.tensor([ids]))[0]
    tag = vocab.CHAR_TO_ID["#"]
    scores = []
    for pos, tok in enumerate(ids):
        if tok == tag:
            p = logits[pos].softmax(-1)
            scores.append(round(float(p[PLUS] / (p[PLUS] + p[MINUS])), 5))
    return {"question": question, "steps": steps, "text": text, "tokenIds": ids, "stepScores": scores}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", required=True)
    ap.add_argument("--prm")
    ap.add_argument("--genprm")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    policy = f16_model(a.policy)
    fixture = {
        "description": "PyTorch reference outputs of models/arith-*.gguf (weights rounded to F16). "
        "Token ids include the leading <s>. policy.top: natural-log softmax of the next token after "
        "`text`, top 10 down to e^-15 (genprm.top: the same for the generative PRM). prm.stepScores: P(+)/(P(+)+P(-)) at each '#'. Regenerate with "
        "tools/train/train-all.sh.",
        "tolerance": 0.05,
        "vocabSize": vocab.VOCAB_SIZE,
        "policy": {"model": "models/arith-policy.gguf", "cases": [policy_case(policy, t) for t in POLICY_TEXTS]},
    }
    if a.prm:
        prm = f16_model(a.prm)
        fixture["prm"] = {
            "model": "models/arith-prm.gguf",
            "cases": [prm_case(prm, q, s) for q, s in PRM_CASES],
        }
    if a.genprm:
        genprm = f16_model(a.genprm)
        fixture["genprm"] = {
            "model": "models/arith-genprm.gguf",
            "cases": [policy_case(genprm, t) for t in GENPRM_TEXTS],
        }
    with open(a.out, "w") as f:
        json.dump(fixture, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
