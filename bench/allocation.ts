/**
 * Compute-optimal allocation on the embedded arithmetic model: a policy fitted on the validation split
 * (`auto`) against every fixed strategy on the test split, at matched average generated tokens.
 *
 *   npx tsx bench/allocation.ts [--dir runs/bench-allocation] [--validation 50] [--test 60]
 *                               [--samples 16] [--pool M] [--folds 5] [--scorer genprm] [--resamples 2000]
 *
 * Data: one eval run per split (levels 1–6, `--validation`/`--test` problems per level, a pool of
 * `--samples` samples per problem at temperature 0.8 scored once by the scorer, plus greedy; run seeds
 * 1 and 2), created by bench/allocation-pools.ts and reused when already complete. Every strategy is
 * computed from that one pool: `sc`/`wv`/`bon` with n samples are the pool's first n samples (the
 * samples they draw under the pool's seed), greedy is the stored result. `auto` with warm-up k is the
 * same: the pool's first k samples are its warm-up, a chosen `sc`/`wv`/`bon` continues them, and
 * greedy costs the warm-up plus its own tokens — what the `auto` strategy does at run time. With
 * `--pool M` (M < `--samples`) only the first M samples of each pool are used: exactly the pools of M
 * samples under the same seeds, so one set of pools of 32 serves the pools of 16 as well.
 *
 * Tuning uses the validation run only: for every budget, the estimator (agreement, score, predicted),
 * warm-up size (1–4) and number of bins (4, 6, 8, 12) are chosen by `--folds`-fold cross-validation on
 * the validation problems (src/allocation/select.ts), then the policy is refitted on all of them. The test split only evaluates. The oracle policy (difficulty = the true
 * solve rate over the pool; needs the gold answer) is fitted and evaluated on the test split itself:
 * a ceiling, not a result. Tokens are generated policy tokens per problem; the scorer's compute (one
 * scoring pass over each sample used) is not in them, as for every scored strategy. Prints tables;
 * asserts nothing.
 */
import { parseArgs } from "node:util";
import type { DifficultyEstimator } from "../src/allocation/difficulty.js";
import type { ActionOutcome } from "../src/allocation/fit.js";
import {
  type FrontierPoint,
  fixedFrontier,
  fixedMixtureAt,
  type Mixture,
  pairedDifference,
  policyPoint,
} from "../src/allocation/frontier.js";
import type { AllocationPolicy } from "../src/allocation/policy.js";
import { fixedOutcomes, runEquivalence } from "../src/allocation/runs.js";
import { selectPolicy } from "../src/allocation/select.js";
import { type LoadedRun, loadRun, tuneLoaded } from "../src/allocation/tune.js";
import { ConfigError } from "../src/core/errors.js";
import { ensurePoolRun } from "./allocation-pools.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "runs/bench-allocation" },
    validation: { type: "string", default: "50" },
    test: { type: "string", default: "60" },
    samples: { type: "string", default: "16" },
    scorer: { type: "string", default: "genprm" },
    resamples: { type: "string", default: "2000" },
    pool: { type: "string" },
    folds: { type: "string", default: "5" },
  },
});
const LEVELS = [1, 2, 3, 4, 5, 6];
const MAX_TOKENS = 192;
const samples = Number(values.samples);
// --pool M evaluates on the first M samples of larger pools (same seeds: exactly the pools of M).
const poolSize = values.pool === undefined ? samples : Number(values.pool);
const folds = Number(values.folds);
const resamples = Number(values.resamples);
const log = (line: string) => process.stderr.write(`${line}\n`);

const pool = { samples, levels: LEVELS, maxTokens: MAX_TOKENS, scorer: values.scorer };
const validationDir = await ensurePoolRun(
  {
    ...pool,
    dir: `${values.dir}/validation`,
    split: "validation",
    perLevel: Number(values.validation),
    seed: 1,
  },
  log,
);
const testDir = await ensurePoolRun(
  { ...pool, dir: `${values.dir}/test`, split: "test", perLevel: Number(values.test), seed: 2 },
  log,
);
const firstSamples = (run: LoadedRun): LoadedRun => ({
  ...run,
  problems: run.problems.map((p) => ({ ...p, samples: p.samples.slice(0, poolSize) })),
});
const validation = firstSamples(loadRun(validationDir));
const test = firstSamples(loadRun(testDir));
const same = runEquivalence(test.config);
const settings = {
  temperature: test.config.temperature,
  topP: test.config.topP,
  maxTokens: test.config.maxTokens,
};

const short = (spec: string) => spec.replace(/,temperature=[^,]*,topP=[^,]*,topK=0(,maxTokens=\d+)?/, "");
const pct = (x: number) => (100 * x).toFixed(1);
const points = (d: { estimate: number; ci: [number, number] }) =>
  `${(100 * d.estimate).toFixed(1)} [${(100 * d.ci[0]).toFixed(1)}, ${(100 * d.ci[1]).toFixed(1)}]`;
const ci = (p: { accuracy: number; ci: [number, number] }) =>
  `${pct(p.accuracy)} [${pct(p.ci[0])}, ${pct(p.ci[1])}]`;

// ---- fixed strategies on the test split ----
const fixedTest = fixedFrontier(test.problems, settings, same, { resamples });
const fixedValidation = fixedFrontier(validation.problems, settings, runEquivalence(validation.config), {
  resamples: 2,
});
const testOutcomes = fixedOutcomes(test.problems, settings, same);

console.log(
  `allocation on ${test.fingerprint.model.id}: arith levels ${LEVELS.join(",")}, pool of ${poolSize} ` +
    `(temperature ${settings.temperature}, scorer ${values.scorer}); tuned on ${validation.problems.length} ` +
    `validation problems, evaluated on ${test.problems.length} test problems; accuracy % [95% bootstrap CI]\n`,
);
console.log("fixed strategies (test split)");
console.log(`${"strategy".padEnd(34)}${"accuracy %".padStart(22)}${"tokens".padStart(9)}`);
for (const p of fixedTest)
  console.log(`${short(p.name).padEnd(34)}${ci(p).padStart(22)}${p.tokens.toFixed(1).padStart(9)}`);

// ---- policy selection on validation by cross-validation ----
const ESTIMATORS: DifficultyEstimator[] = ["agreement", "score", "predicted"];
const WARMUPS = [1, 2, 3, 4];
const BINS = [4, 6, 8, 12];

function choosePolicy(budget: number): AllocationPolicy | null {
  try {
    return selectPolicy([validation], {
      budgetTokens: budget,
      estimators: ESTIMATORS,
      warmups: WARMUPS,
      bins: BINS,
      folds,
    }).policy;
  } catch (error) {
    if (error instanceof ConfigError) return null; // no configuration meets this budget
    throw error;
  }
}

// Budgets: the validation tokens of each pool size (matched budgets), and 60% of the most accurate
// fixed strategy's tokens on validation.
const poolPoints = fixedValidation.filter(
  (p) => p.name.startsWith("self-consistency:") && /^self-consistency:n=(1|2|4|8|16|32|64),/.test(p.name),
);
const bestValidation = fixedValidation.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
const budgets = [
  ...poolPoints
    .filter((p) => p.name !== poolPoints[0]!.name)
    .map((p) => ({ budget: p.tokens, label: short(p.name).replace("self-consistency", "n") })),
  { budget: 0.6 * bestValidation.tokens, label: `60% of ${short(bestValidation.name)}` },
].sort((a, b) => a.budget - b.budget);

const bestTest = fixedTest.reduce((a, b) =>
  b.accuracy > a.accuracy || (b.accuracy === a.accuracy && b.tokens < a.tokens) ? b : a,
);

console.log(
  "\nauto (policy tuned on validation) on the test split. 'fixed at equal tokens' is the best fixed allocation" +
    " spending exactly auto's tokens: on the upper hull of the fixed points, a random share of the problems" +
    " gets the dearer of two fixed strategies. Δ is auto minus it, paired over problems.",
);
console.log(
  `${"budget (validation)".padEnd(32)}${"policy".padEnd(17)}${"auto accuracy %".padStart(20)}${"tokens".padStart(8)}` +
    `  ${"fixed at equal tokens".padEnd(30)}${"acc %".padStart(6)}${"Δ points [95% CI]".padStart(22)}` +
    `${"oracle ceiling".padStart(18)}`,
);
const rows: {
  budget: string;
  auto: FrontierPoint;
  outcomes: ActionOutcome[];
  policy: AllocationPolicy;
  mixture: Mixture | null;
  delta: { estimate: number; ci: [number, number] } | null;
}[] = [];
for (const { budget, label } of budgets) {
  const policy = choosePolicy(budget);
  if (!policy) {
    console.log(`${`${budget.toFixed(0)} (${label})`.padEnd(32)}no configuration fits this budget`);
    continue;
  }
  const { point, outcomes } = policyPoint(policy, test.problems, same, "auto", { resamples });
  const mixture = fixedMixtureAt(fixedTest, point.tokens);
  const delta = mixture
    ? pairedDifference(
        outcomes,
        testOutcomes.map((o) => ({
          correct:
            (1 - mixture.weight) * o[mixture.low.name]!.correct +
            mixture.weight * o[mixture.high.name]!.correct,
          tokens: 0,
        })),
        { resamples },
      )
    : null;
  rows.push({ budget: label, auto: point, outcomes, policy, mixture, delta });
  // The oracle ceiling: same warm-up, difficulty = the true solve rate, fitted on the test split itself.
  const oracle = (() => {
    try {
      const fitted = tuneLoaded([test], {
        budgetTokens: point.tokens,
        estimator: "oracle",
        warmup: policy.warmup.samples,
        maxBins: poolSize + 1,
      });
      return policyPoint(fitted, test.problems, same, "oracle", { resamples }).point;
    } catch {
      return null;
    }
  })();
  const mix = mixture
    ? mixture.low === mixture.high
      ? short(mixture.low.name)
      : `${short(mixture.low.name)}/${short(mixture.high.name)} ${(100 * mixture.weight).toFixed(0)}%`
    : "none (outside the fixed range)";
  console.log(
    `${`${budget.toFixed(0)} (${label})`.padEnd(32)}${`${policy.estimator}, k=${policy.warmup.samples}, ${policy.bins.length}b`.padEnd(17)}` +
      `${ci(point).padStart(20)}${point.tokens.toFixed(1).padStart(8)}  ${mix.padEnd(30)}` +
      `${(mixture ? pct(mixture.accuracy) : "").padStart(6)}${(delta ? points(delta) : "").padStart(22)}` +
      `${(oracle ? `${pct(oracle.accuracy)} @ ${oracle.tokens.toFixed(0)}` : "-").padStart(18)}`,
  );
}

// ---- the two targets ----
console.log("\ntargets (test split):");
let equalMet = false;
for (const row of rows) {
  if (!row.mixture || !row.delta) continue;
  const met = row.delta.estimate >= 0.03;
  equalMet ||= met;
  console.log(
    `  equal tokens: auto ${pct(row.auto.accuracy)}% at ${row.auto.tokens.toFixed(1)} vs the best fixed allocation at those ` +
      `tokens ${pct(row.mixture.accuracy)}%: Δ ${points(row.delta)} (target ≥ 3) ${met ? "met" : "NOT met"}`,
  );
  const band = fixedTest.filter((p) => Math.abs(p.tokens / row.auto.tokens - 1) <= 0.05);
  for (const rival of band) {
    const d = pairedDifference(
      row.outcomes,
      testOutcomes.map((o) => o[rival.name]!),
      { resamples },
    );
    console.log(
      `    a single fixed strategy within ±5% of its tokens: ${short(rival.name)} ${pct(rival.accuracy)}% at ` +
        `${rival.tokens.toFixed(1)}: Δ ${points(d)}`,
    );
  }
}
let shareMet = false;
for (const row of rows) {
  const share = row.auto.tokens / bestTest.tokens;
  if (share > 0.6) continue;
  const d = pairedDifference(
    row.outcomes,
    testOutcomes.map((o) => o[bestTest.name]!),
    { resamples },
  );
  const met = row.auto.accuracy >= bestTest.accuracy;
  shareMet ||= met;
  console.log(
    `  ≤ 60% of the best fixed strategy's tokens: auto ${pct(row.auto.accuracy)}% at ${row.auto.tokens.toFixed(1)} ` +
      `(${(100 * share).toFixed(0)}% of ${short(bestTest.name)}'s ${bestTest.tokens.toFixed(1)}) vs its ${pct(bestTest.accuracy)}%: ` +
      `Δ ${(100 * d.estimate).toFixed(1)} points [${(100 * d.ci[0]).toFixed(1)}, ${(100 * d.ci[1]).toFixed(1)}] ` +
      `(target: reach its accuracy) ${met ? "met" : "NOT met"}`,
  );
}
console.log(`  overall: ${equalMet || shareMet ? "met" : "NOT met"}`);

console.log("\nchoices of each policy on the test split (strategy: problems)");
for (const row of rows) {
  const choices = Object.entries(row.auto.choices ?? {})
    .map(([s, n]) => `${short(s)}: ${n}`)
    .join(", ");
  console.log(
    `  ${row.budget}: ${row.policy.estimator}, k=${row.policy.warmup.samples}, ${row.policy.bins.length} bins — ${choices}`,
  );
}
