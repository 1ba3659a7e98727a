/**
 * Allocation over stored eval runs: turns a run's pool samples and strategy results into what each
 * candidate strategy achieves per problem (for fitting), into the fixed strategies' points (for the
 * frontier), and applies a fitted policy to a run (for evaluating it on other problems).
 *
 * A pool of N samples drawn with seeds s, s+1, … is exactly what `sc:n=m` (m ≤ N) draws under the
 * same base seed, so the pool's first m samples *are* that strategy's samples, and the first k are
 * the warm-up of `auto`. Strategies computed from the pool therefore reuse the warm-up (they cost
 * m samples in all); a strategy stored as a result of the run cannot, and costs the warm-up plus
 * its own tokens.
 */
import { basename } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import { datasetMathGrading } from "../eval/datasets/grading-config.js";
import { parseDatasetSpec } from "../eval/datasets/index.js";
import { createGrader } from "../eval/grading.js";
import type { EvalConfig } from "../eval/runner.js";
import type { RunStore } from "../eval/store.js";
import { createStrategy } from "../strategies/registry.js";
import { argmax, majorityVote, weightedMajority } from "../strategies/vote.js";
import { agreement, type DifficultyEstimator, meanFinite, solveRate } from "./difficulty.js";
import { type WarmupFeature, warmupFeatures } from "./features.js";
import type { ActionOutcome, ProblemOutcomes } from "./fit.js";
import { type AllocationPolicy, chooseBin, type WarmupSettings } from "./policy.js";
import { type DifficultyPredictor, predictDifficulty } from "./predictor.js";

/** One pool sample as allocation needs it. */
export interface PoolSample {
  answer: string | null;
  correct: boolean;
  tokens: number;
  /** Scorer value, when the run had a scorer. */
  score?: number;
  /** Mean token log-probability, when it was computed (the `confidence` estimator). */
  confidence?: number;
}

/** One problem of a run: its pool in seed order and its strategy results. */
export interface PoolProblem {
  id: string;
  level?: number;
  samples: PoolSample[];
  /** Strategy results by canonical spec. */
  results: Record<string, { correct: boolean; tokens: number }>;
}

/** The completed problems of a run with their pools and results. */
export function readPoolProblems(store: RunStore): PoolProblem[] {
  const byId = new Map<string, PoolProblem>();
  for (const p of store.problems()) {
    if (!p.completed) continue;
    byId.set(p.id, {
      id: p.id,
      ...(p.level !== undefined ? { level: p.level } : {}),
      samples: [],
      results: {},
    });
  }
  for (const s of store.samples()) {
    byId.get(s.problemId)?.samples.push({
      answer: s.answer,
      correct: s.correct,
      tokens: s.completionTokens,
      ...(s.score !== undefined ? { score: s.score } : {}),
    });
  }
  for (const r of store.results()) {
    const problem = byId.get(r.problemId);
    if (problem) problem.results[r.strategy] = { correct: r.correct, tokens: r.usage.completionTokens };
  }
  return [...byId.values()];
}

/** The answer equivalence of a run's grading (what its strategies voted with). */
export function runEquivalence(config: EvalConfig): AnswerEquivalence {
  const grader = createGrader(config.grading, { math: datasetMathGrading(config.dataset) });
  return grader.sameAnswer;
}

/** The task part of a fingerprint: the dataset name (`file:NAME` for a file), without split or limit. */
export function runTask(config: EvalConfig): string {
  const spec = parseDatasetSpec(config.dataset);
  return spec.name === "file" ? `file:${basename(spec.split)}` : spec.name;
}

/** The warm-up of a policy fitted on a run: its first `samples` pool samples, with the pool's settings. */
export function runWarmup(config: EvalConfig, samples: number): WarmupSettings {
  if (config.samples < samples) {
    throw new ConfigError(
      `the run ${config.dataset} has ${config.samples} pool samples per problem; a warm-up of ${samples} needs at least as many`,
      { hint: "evaluate with a larger --samples, or pass a smaller --warmup" },
    );
  }
  return { samples, temperature: config.temperature, topP: config.topP, maxTokens: config.maxTokens };
}

/** Canonical spec of a pool-computable strategy with the warm-up's sampling settings. */
export function poolSpec(kind: "sc" | "wv" | "bon", n: number, warmup: WarmupSettings): string {
  const sampling = `temperature=${warmup.temperature},topP=${warmup.topP},maxTokens=${warmup.maxTokens}`;
  return createStrategy(`${kind}:n=${n},${sampling}`).spec;
}

/**
 * Sample counts from `from` to `max`: `from`, the powers of two above it and the midpoints between
 * them (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, …), and `max`. The midpoints give the fit finer steps of
 * compute between doublings.
 */
export function sampleLadder(from: number, max: number): number[] {
  const ladder = new Set<number>([from, max]);
  for (let m = 1; m <= max; m *= 2) {
    ladder.add(m);
    if (m >= 2) ladder.add((3 * m) / 2);
  }
  return [...ladder].filter((m) => m >= from && m <= max).sort((a, b) => a - b);
}

function sumTokens(samples: readonly PoolSample[]): number {
  return samples.reduce((sum, s) => sum + s.tokens, 0);
}

/** Whether the majority vote over `samples` is right (the winning class's first member's grade). */
export function voteCorrect(samples: readonly PoolSample[], same: AnswerEquivalence): boolean {
  const top = majorityVote(
    samples.map((s) => s.answer),
    same,
  );
  return top !== null && samples[top.members[0]!]!.correct;
}

function weightedCorrect(samples: readonly PoolSample[], same: AnswerEquivalence): boolean {
  const winner = weightedMajority(samples, same, "sum");
  return winner !== null && samples[winner.members[0]!]!.correct;
}

function bestCorrect(samples: readonly PoolSample[]): boolean {
  const i = argmax(samples.map((s) => s.score ?? Number.NaN));
  return i >= 0 && samples[i]!.correct;
}

/** What the pool-computable strategies with `n` samples achieve on the pool's first `n` samples. */
function poolOutcomes(
  problem: PoolProblem,
  n: number,
  warmup: WarmupSettings,
  same: AnswerEquivalence,
  scored: boolean,
): Record<string, ActionOutcome> {
  const first = problem.samples.slice(0, n);
  const tokens = sumTokens(first);
  const out: Record<string, ActionOutcome> = {
    [poolSpec("sc", n, warmup)]: { correct: voteCorrect(first, same) ? 1 : 0, tokens },
  };
  if (scored) {
    out[poolSpec("wv", n, warmup)] = { correct: weightedCorrect(first, same) ? 1 : 0, tokens };
    out[poolSpec("bon", n, warmup)] = { correct: bestCorrect(first) ? 1 : 0, tokens };
  }
  return out;
}

/** Whether every pool sample of every problem has a scorer value. */
export function hasScores(problems: readonly PoolProblem[]): boolean {
  return problems.length > 0 && problems.every((p) => p.samples.every((s) => s.score !== undefined));
}

/** The warm-up features of a problem's first `warmup` pool samples. */
export function poolFeatures(
  problem: PoolProblem,
  features: readonly WarmupFeature[],
  warmup: number,
  same: AnswerEquivalence,
): number[] {
  return warmupFeatures(features, problem.samples.slice(0, warmup), same);
}

/**
 * The difficulty estimate of a problem from its first `warmup` samples (`oracle`: from its whole pool).
 *
 * @throws ConfigError when the estimator needs scores or confidences the samples lack, or a
 *   `predicted` estimate has no predictor.
 */
export function estimateDifficulty(
  problem: PoolProblem,
  estimator: DifficultyEstimator,
  warmup: number,
  same: AnswerEquivalence,
  predictor?: DifficultyPredictor,
): number {
  const first = problem.samples.slice(0, warmup);
  switch (estimator) {
    case "agreement":
      return agreement(
        first.map((s) => s.answer),
        same,
      );
    case "score":
      if (first.some((s) => s.score === undefined)) {
        throw new ConfigError(
          `problem ${problem.id} has unscored samples: the score estimator needs a scorer`,
          {
            hint: "evaluate with --scorer SPEC, or use --estimator agreement",
          },
        );
      }
      return meanFinite(first.map((s) => s.score!));
    case "confidence":
      if (first.some((s) => s.confidence === undefined)) {
        throw new ConfigError(`problem ${problem.id} has samples without a confidence`);
      }
      return meanFinite(first.map((s) => s.confidence!));
    case "predicted":
      if (!predictor) throw new ConfigError("the predicted estimator needs a fitted predictor");
      return predictDifficulty(predictor, poolFeatures(problem, predictor.features, warmup, same));
    case "oracle":
      return solveRate(problem.samples.map((s) => s.correct));
  }
}

/** Options of {@link allocationOutcomes}. */
export interface OutcomeOptions {
  estimator: DifficultyEstimator;
  warmup: WarmupSettings;
  same: AnswerEquivalence;
  /** The model of the `predicted` estimator. */
  predictor?: DifficultyPredictor;
}

/**
 * Per problem, its difficulty and every candidate strategy's outcome with the warm-up paid: the
 * pool strategies with n from the warm-up size to the pool size (reusing the warm-up), and every
 * stored strategy result (warm-up tokens plus its own).
 */
export function allocationOutcomes(
  problems: readonly PoolProblem[],
  options: OutcomeOptions,
): ProblemOutcomes[] {
  const k = options.warmup.samples;
  const scored = hasScores(problems);
  const poolSize = Math.min(...problems.map((p) => p.samples.length));
  if (problems.length > 0 && poolSize < k) {
    throw new ConfigError(`a problem has ${poolSize} pool samples, fewer than the warm-up of ${k}`);
  }
  return problems.map((problem) => {
    const warmupTokens = sumTokens(problem.samples.slice(0, k));
    const actions: Record<string, ActionOutcome> = {};
    for (const n of sampleLadder(k, poolSize)) {
      Object.assign(actions, poolOutcomes(problem, n, options.warmup, options.same, scored));
    }
    for (const [strategy, r] of Object.entries(problem.results)) {
      actions[strategy] = { correct: r.correct ? 1 : 0, tokens: warmupTokens + r.tokens };
    }
    return {
      id: problem.id,
      difficulty: estimateDifficulty(problem, options.estimator, k, options.same, options.predictor),
      actions,
    };
  });
}

/**
 * Every fixed strategy's outcome per problem, without a warm-up: the pool strategies at n = 1, 2, 3, 4, 6, 8, …
 * up to the pool size, and the stored strategy results.
 */
export function fixedOutcomes(
  problems: readonly PoolProblem[],
  warmup: Omit<WarmupSettings, "samples">,
  same: AnswerEquivalence,
): Record<string, ActionOutcome>[] {
  const scored = hasScores(problems);
  const poolSize = Math.min(...problems.map((p) => p.samples.length));
  const settings = { ...warmup, samples: 1 };
  return problems.map((problem) => {
    const actions: Record<string, ActionOutcome> = {};
    if (poolSize > 0) {
      for (const n of sampleLadder(1, poolSize))
        Object.assign(actions, poolOutcomes(problem, n, settings, same, scored));
    }
    for (const [strategy, r] of Object.entries(problem.results)) {
      actions[strategy] = { correct: r.correct ? 1 : 0, tokens: r.tokens };
    }
    return actions;
  });
}

/** What a policy chose and achieved on one problem. */
export interface PolicyOutcome extends ActionOutcome {
  id: string;
  difficulty: number;
  strategy: string;
}

/**
 * Applies a policy to a run's problems: the warm-up's estimate, the bin's strategy, and that
 * strategy's outcome from the pool or the stored results (warm-up included, as when `auto` runs).
 *
 * @throws ConfigError when a chosen strategy is neither computable from the pool nor stored in the run.
 */
export function applyPolicy(
  policy: AllocationPolicy,
  problems: readonly PoolProblem[],
  same: AnswerEquivalence,
): PolicyOutcome[] {
  const outcomes = allocationOutcomes(problems, {
    estimator: policy.estimator,
    warmup: policy.warmup,
    same,
    ...(policy.predictor ? { predictor: policy.predictor } : {}),
  });
  return outcomes.map((o) => {
    const strategy = chooseBin(policy, o.difficulty).strategy;
    const outcome = o.actions[strategy];
    if (!outcome) {
      throw new ConfigError(
        `the policy chooses ${strategy} for problem ${o.id}, which this run can neither compute from its pool nor has results of`,
        { hint: "evaluate the run with that --strategy, or a pool of as many --samples" },
      );
    }
    return { id: o.id, difficulty: o.difficulty, strategy, ...outcome };
  });
}
