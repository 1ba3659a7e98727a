/**
 * The allocation frontier of a run: accuracy against mean generated tokens per problem of every fixed
 * strategy the run holds (computed from its pool, or stored as results) and of allocation policies
 * applied to the same problems, each with a 95% bootstrap interval over problems. Pure.
 */
import type { AnswerEquivalence } from "../core/scorer.js";
import { bootstrapCI, mean } from "../eval/metrics/bootstrap.js";
import type { ActionOutcome } from "./fit.js";
import type { AllocationPolicy } from "./policy.js";
import { applyPolicy, fixedOutcomes, type PolicyOutcome, type PoolProblem } from "./runs.js";

/** One point of the frontier. */
export interface FrontierPoint {
  /** `fixed` strategies, a fitted `policy`, or the `oracle` policy (an upper bound: it knows the gold). */
  kind: "fixed" | "policy" | "oracle";
  name: string;
  accuracy: number;
  /** 95% bootstrap interval of the accuracy. */
  ci: [number, number];
  /** Mean generated tokens per problem. */
  tokens: number;
  problems: number;
  /** For a policy: how often each strategy was chosen. */
  choices?: Record<string, number>;
}

/** Options of the frontier's intervals. */
export interface FrontierOptions {
  resamples?: number;
  seed?: number;
}

function point(
  kind: FrontierPoint["kind"],
  name: string,
  outcomes: readonly ActionOutcome[],
  options: FrontierOptions,
): FrontierPoint {
  const correct = outcomes.map((o) => o.correct);
  const ci = bootstrapCI(correct, mean, { samples: options.resamples ?? 1000, seed: options.seed ?? 0 });
  return {
    kind,
    name,
    accuracy: ci.estimate,
    ci: [ci.lower, ci.upper],
    tokens: mean(outcomes.map((o) => o.tokens)),
    problems: outcomes.length,
  };
}

/** The fixed strategies' points on a run's problems (pool strategies at n = 1, 2, 4, …; stored results). */
export function fixedFrontier(
  problems: readonly PoolProblem[],
  pool: { temperature: number; topP: number; maxTokens: number },
  same: AnswerEquivalence,
  options: FrontierOptions = {},
): FrontierPoint[] {
  if (problems.length === 0) return [];
  const outcomes = fixedOutcomes(problems, pool, same);
  const names = Object.keys(outcomes[0]!).filter((name) => outcomes.every((o) => o[name] !== undefined));
  return names
    .map((name) =>
      point(
        "fixed",
        name,
        outcomes.map((o) => o[name]!),
        options,
      ),
    )
    .sort((a, b) => a.tokens - b.tokens);
}

/** A policy's point on a run's problems (what `auto` would do there), with its per-problem outcomes. */
export function policyPoint(
  policy: AllocationPolicy,
  problems: readonly PoolProblem[],
  same: AnswerEquivalence,
  name: string,
  options: FrontierOptions = {},
): { point: FrontierPoint; outcomes: PolicyOutcome[] } {
  const outcomes = applyPolicy(policy, problems, same);
  const choices: Record<string, number> = {};
  for (const o of outcomes) choices[o.strategy] = (choices[o.strategy] ?? 0) + 1;
  return {
    point: {
      ...point(policy.estimator === "oracle" ? "oracle" : "policy", name, outcomes, options),
      choices,
    },
    outcomes,
  };
}

/**
 * 95% bootstrap interval of a paired difference in accuracy (a − b) over the same problems, in points.
 */
export function pairedDifference(
  a: readonly ActionOutcome[],
  b: readonly ActionOutcome[],
  options: FrontierOptions = {},
): { estimate: number; ci: [number, number] } {
  const diffs = a.map((o, i) => o.correct - b[i]!.correct);
  const ci = bootstrapCI(diffs, mean, { samples: options.resamples ?? 1000, seed: options.seed ?? 0 });
  return { estimate: ci.estimate, ci: [ci.lower, ci.upper] };
}

/** A mixture of two fixed strategies that spends a given mean number of tokens. */
export interface Mixture {
  /** The cheaper and the dearer strategy (the same one when the tokens hit a point). */
  low: FrontierPoint;
  high: FrontierPoint;
  /** Share of problems given `high`. */
  weight: number;
  accuracy: number;
  tokens: number;
}

/**
 * The best fixed allocation at exactly `tokens` mean generated tokens: the upper concave hull of the
 * fixed points, read at `tokens` — giving a random share `weight` of the problems the dearer of two
 * strategies and the rest the cheaper one spends those tokens on average and reaches the linear
 * interpolation of their accuracies. Null when `tokens` is outside the points' range.
 */
export function fixedMixtureAt(points: readonly FrontierPoint[], tokens: number): Mixture | null {
  let best: Mixture | null = null;
  for (const low of points) {
    for (const high of points) {
      if (low.tokens > tokens || high.tokens < tokens) continue;
      const span = high.tokens - low.tokens;
      const weight = span > 0 ? (tokens - low.tokens) / span : 0;
      const accuracy = (1 - weight) * low.accuracy + weight * high.accuracy;
      if (best === null || accuracy > best.accuracy) best = { low, high, weight, accuracy, tokens };
    }
  }
  return best;
}
