/**
 * What one problem contributes to a summary: from its pool, pass@1 and, for every k, coverage@k, maj@k
 * and (when the pool was scored) BoN@k and weighted maj@k; from its strategy results, whether each was
 * correct and what it cost.
 */
import type { ModelShape } from "./metrics/flops.js";
import { passAtK } from "./metrics/pass-at-k.js";
import { bestOfNAtK, majorityAtK, weightedMajorityAtK } from "./metrics/voting.js";
import type { ResultRecord, SampleRecord, StoredProblem } from "./store.js";
import { sampleCost, sequencesCost } from "./summary-cost.js";
import type { ComputeCost } from "./summary-types.js";

/** k = 1, 2, 4, … ≤ n, plus n itself. */
export function poolKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (n > 0 && ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

/** Per-problem values every group aggregates. */
export interface ProblemValues {
  level: number | null;
  pass1: number | null;
  /** The cost of one pool sample (the mean over the pool), null without a pool. */
  sample: ComputeCost | null;
  coverage: Map<number, number>;
  majority: Map<number, number>;
  bon: Map<number, number>;
  wmaj: Map<number, number>;
  strategies: Map<string, { correct: number; compute: ComputeCost }>;
}

/** The values of one completed problem, from its pool samples and its strategy results. */
export function problemValues(
  problem: StoredProblem,
  samples: SampleRecord[],
  results: ResultRecord[],
  ks: number[],
  equal: ((a: string, b: string) => boolean) | undefined,
  seed: number,
  shape: ModelShape | null,
): ProblemValues {
  const values: ProblemValues = {
    level: problem.level ?? null,
    pass1: null,
    sample: sampleCost(shape, samples),
    coverage: new Map(),
    majority: new Map(),
    bon: new Map(),
    wmaj: new Map(),
    strategies: new Map(),
  };
  const n = samples.length;
  if (n > 0) {
    const correct = samples.map((s) => s.correct);
    const answers = canonicalAnswers(
      samples.map((s) => s.answer),
      equal,
    );
    const c = correct.filter(Boolean).length;
    values.pass1 = c / n;
    const scored = samples.every((s) => s.score !== undefined && Number.isFinite(s.score));
    const scores = samples.map((s) => s.score ?? 0);
    for (const k of ks) {
      if (k > n) continue;
      values.coverage.set(k, passAtK(n, c, k));
      const voting = { samples: 2000, seed };
      values.majority.set(k, majorityAtK(answers, correct, k, voting).value);
      if (scored) {
        values.bon.set(k, bestOfNAtK(scores, correct, k).value);
        values.wmaj.set(k, weightedMajorityAtK(answers, scores, correct, k, voting).value);
      }
    }
  }
  for (const r of results) {
    const compute = sequencesCost(shape, r.sequences, {
      promptTokens: r.usage.promptTokens,
      generatedTokens: r.usage.completionTokens,
      calls: r.usage.calls,
    });
    values.strategies.set(r.strategy, { correct: r.correct ? 1 : 0, compute });
  }
  return values;
}

/**
 * Replaces each answer by the first earlier answer it is equivalent to, so that the estimators can
 * group by string. Same classes as the estimators' own `equal` option (a sample joins the first class
 * whose first member it equals), but `equal` runs once per pool instead of once per k.
 */
export function canonicalAnswers(
  answers: readonly (string | null)[],
  equal?: (a: string, b: string) => boolean,
): (string | null)[] {
  if (!equal) return [...answers];
  const reps: string[] = [];
  const byText = new Map<string, string>();
  return answers.map((a) => {
    if (a === null) return null;
    const known = byText.get(a);
    if (known !== undefined) return known;
    const rep = reps.find((r) => equal(r, a)) ?? a;
    if (rep === a) reps.push(a);
    byText.set(a, rep);
    return rep;
  });
}
