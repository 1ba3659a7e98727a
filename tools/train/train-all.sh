#!/usr/bin/env bash
# Reproduces the embedded models end to end (run tools/train/setup.sh once before):
#   data from the TypeScript task generator → policy → policy samples → exact-verifier labels →
#   PRM → GGUF export → PyTorch reference fixture → llama.cpp check → policy evaluation.
# Intermediate files go to tools/.work/ (git-ignored). About 60 minutes on the shared 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=tools/.work
PY=/usr/bin/python3
T=tools/train
export TRAIN_THREADS="${TRAIN_THREADS:-1}"
mkdir -p "$W"
export_arith() { npx --no-install tsx tools/export-arith.ts "$@"; }

# 1. Data. Policy: train split, levels 1-6 only. PRM problems: further train-split problems the policy
#    never trained on (--skip), at all 8 levels so the PRM also sees out-of-distribution failures.
export_arith --split train --levels 1-6 --count 6000 --out "$W/train.jsonl"
export_arith --split validation --levels 1-8 --count 300 --out "$W/valid.jsonl"
export_arith --split test --levels 1-8 --count 100 --out "$W/test.jsonl"
export_arith --split test --levels 1-8 --count 50 --out "$W/test-eval.jsonl"
export_arith --split train --levels 1-8 --count 250 --skip 6000 --out "$W/prm-problems.jsonl"
export_arith --split validation --levels 1-8 --count 40 --skip 300 --out "$W/prm-dev-problems.jsonl"

# 2. Policy, three phases (the committed model was made by exactly these commands):
#    a. clean data from scratch, stopped once the model reads the task (~2200 steps);
#    b. solutions with 35% injected step errors (noise.py): sampling then errs at random instead of
#       always on the same problems, so voting and search have something to work with;
#    c. 10% errors at a lower learning rate, to win back single-sample accuracy.
$PY $T/train_policy.py --train "$W/train.jsonl" --valid "$W/valid.jsonl" --out "$W/policy-clean.pt" \
  --steps 3000 --batch 32 --lr 3e-3 --eval-every 200 --stop-l5 0.25 --max-l2 0.88
$PY $T/train_policy.py --init "$W/policy-clean.pt" --noise 0.35 --train "$W/train.jsonl" --valid "$W/valid.jsonl" \
  --out "$W/policy-noisy35.pt" --steps 1500 --batch 32 --lr 1.5e-3 --eval-every 250 --seed 3
$PY $T/train_policy.py --init "$W/policy-noisy35.pt" --noise 0.1 --train "$W/train.jsonl" --valid "$W/valid.jsonl" \
  --out "$W/policy.pt" --steps 1500 --batch 32 --lr 1e-3 --eval-every 250 --seed 4

# 2d. Generative PRM: the policy's weights trained further on clean gold solutions of levels 1-8
#    (problems 0-5999 of each level's train split; the PRM problems below start at 6000), so that it
#    writes correct steps far more reliably than the policy; the `genprm` scorer reads each step's
#    least likely token under it. Stopped after 1,500 of a 4,000-step cosine schedule.
export_arith --split train --levels 1-8 --count 6000 --out "$W/genprm-train.jsonl"
$PY $T/train_policy.py --init "$W/policy.pt" --train "$W/genprm-train.jsonl" --valid "$W/valid.jsonl" \
  --out "$W/genprm.pt" --steps 4000 --stop-after 1500 --batch 48 --lr 1e-3 --eval-every 250 --seed 7

# 3. Policy samples, labelled by the exact verifier (src/tasks/arith via tsx).
$PY $T/sample_solutions.py --policy "$W/policy.pt" --problems "$W/prm-problems.jsonl" --per-problem 4 \
  --temperatures 0.7,1.0 --gold --out "$W/prm-train-samples.jsonl"
$PY $T/sample_solutions.py --policy "$W/policy.pt" --problems "$W/prm-dev-problems.jsonl" --per-problem 4 \
  --temperatures 0.7,1.0 --seed 12 --out "$W/prm-dev-samples.jsonl"
$PY $T/sample_solutions.py --policy "$W/policy.pt" --problems "$W/test.jsonl" --per-problem 2 \
  --temperatures 0.7,1.0 --seed 13 --out "$W/prm-report-samples.jsonl"
for s in prm-train prm-dev prm-report; do
  npx --no-install tsx $T/label.ts "$W/$s-samples.jsonl" "$W/$s-labelled.jsonl"
done

# 4. PRM, initialised from the policy.
$PY $T/train_prm.py --init "$W/policy.pt" --train "$W/prm-train-labelled.jsonl" --dev "$W/prm-dev-labelled.jsonl" \
  --report "$W/prm-report-labelled.jsonl" --out "$W/prm.pt" --metrics-out "$W/prm-metrics.json"

# 5. Export, reference fixture, and the llama.cpp-vs-PyTorch check.
$PY $T/export_gguf.py "$W/policy.pt" models/arith-policy.gguf --name arith-policy \
  --description "deliberate arithmetic policy (character-level llama, trained on levels 1-6)"
$PY $T/export_gguf.py "$W/prm.pt" models/arith-prm.gguf --name arith-prm \
  --description "deliberate arithmetic PRM: P(+)/(P(+)+P(-)) at each '#' step tag"
$PY $T/export_gguf.py "$W/genprm.pt" models/arith-genprm.gguf --name arith-genprm \
  --description "deliberate arithmetic generative PRM: a step scores its least likely token's probability"
$PY $T/fixtures.py --policy "$W/policy.pt" --prm "$W/prm.pt" --genprm "$W/genprm.pt" \
  --out test/fixtures/arith-reference.json
npx --no-install tsx $T/check-gguf.ts test/fixtures/arith-reference.json

# 6. Generative PRM against the policy's own likelihood on the labelled report samples.
$PY $T/genprm_metrics.py --rows "$W/prm-report-labelled.jsonl" "$W/genprm.pt" "$W/policy.pt" > "$W/genprm-metrics.jsonl"

# 7. Policy metrics per level (greedy, T=0.7 single sample, maj@k, coverage@k).
$PY $T/evaluate.py --policy "$W/policy.pt" --problems "$W/test-eval.jsonl" --k 32 --out "$W/policy-eval.json"
