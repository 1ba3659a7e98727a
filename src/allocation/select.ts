/**
 * Choosing a policy's configuration (estimator, warm-up size, number of bins) by cross-validation on
 * the tuning runs: each configuration is fitted on all folds but one and applied to the held-out one,
 * in turn, and the configuration with the best held-out accuracy whose held-out tokens stay within the
 * budget (± the tolerance) is refitted on every problem. In-sample accuracy would favour the finest
 * bins and the most features; held-out accuracy does not.
 */
import { ConfigError } from "../core/errors.js";
import type { DifficultyEstimator } from "./difficulty.js";
import { BudgetTooLowError } from "./fit.js";
import type { AllocationPolicy } from "./policy.js";
import { applyPolicy, runEquivalence } from "./runs.js";
import { type LoadedRun, type TuneOptions, tuneLoaded } from "./tune.js";

/** One configuration to try. */
export interface PolicyConfig {
  estimator: DifficultyEstimator;
  warmup: number;
  maxBins: number;
}

/** A configuration's held-out result; null accuracy when a fold's budget could not be met. */
export interface ConfigScore extends PolicyConfig {
  accuracy: number | null;
  tokens: number | null;
}

/** Options of {@link selectPolicy}. */
export interface SelectOptions extends Omit<TuneOptions, "estimator" | "warmup" | "maxBins"> {
  estimators: readonly DifficultyEstimator[];
  warmups: readonly number[];
  bins: readonly number[];
  /** Cross-validation folds (default 5; problems are dealt to folds in turn, run by run). */
  folds?: number;
  /** Held-out tokens may exceed the budget by this share (default 0.05). */
  tolerance?: number;
}

/** The chosen policy (refitted on every problem) and every configuration's held-out result. */
export interface Selection {
  policy: AllocationPolicy;
  config: PolicyConfig;
  scores: ConfigScore[];
}

function fold(run: LoadedRun, folds: number, index: number, held: boolean): LoadedRun {
  return { ...run, problems: run.problems.filter((_, i) => (i % folds === index) === held) };
}

/** Held-out accuracy and tokens of one configuration. */
export function crossValidate(
  runs: readonly LoadedRun[],
  config: PolicyConfig,
  options: Omit<SelectOptions, "estimators" | "warmups" | "bins">,
): ConfigScore {
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2) throw new ConfigError(`folds must be at least 2, got ${folds}`);
  let correct = 0;
  let tokens = 0;
  let count = 0;
  for (let f = 0; f < folds; f++) {
    const fitOn = runs.map((r) => fold(r, folds, f, false));
    let policy: AllocationPolicy;
    try {
      policy = tuneLoaded(fitOn, { ...options, ...config });
    } catch (error) {
      // A budget below this configuration's cheapest policy: not a candidate.
      if (error instanceof BudgetTooLowError) {
        return { ...config, accuracy: null, tokens: null };
      }
      throw error;
    }
    for (const run of runs) {
      const held = fold(run, folds, f, true);
      for (const o of applyPolicy(policy, held.problems, runEquivalence(run.config))) {
        correct += o.correct;
        tokens += o.tokens;
        count++;
      }
    }
  }
  return { ...config, accuracy: correct / count, tokens: tokens / count };
}

/**
 * Cross-validates every combination of `estimators`, `warmups` and `bins`, and refits the best on all
 * problems: the highest held-out accuracy among the configurations whose held-out mean tokens are
 * within the budget (plus the tolerance); ties go to fewer tokens.
 *
 * @throws ConfigError when no configuration meets the budget.
 */
export function selectPolicy(runs: readonly LoadedRun[], options: SelectOptions): Selection {
  const { estimators, warmups, bins, ...rest } = options;
  if (estimators.includes("oracle")) {
    throw new ConfigError("the oracle estimator is a ceiling, not a configuration to select");
  }
  const limit = options.budgetTokens * (1 + (options.tolerance ?? 0.05));
  const scores: ConfigScore[] = [];
  let best: ConfigScore | null = null;
  for (const estimator of estimators) {
    for (const warmup of warmups) {
      for (const maxBins of bins) {
        const score = crossValidate(runs, { estimator, warmup, maxBins }, rest);
        scores.push(score);
        if (score.accuracy === null || score.tokens === null || score.tokens > limit) continue;
        if (
          best === null ||
          score.accuracy > best.accuracy! + 1e-12 ||
          (Math.abs(score.accuracy - best.accuracy!) <= 1e-12 && score.tokens < best.tokens!)
        ) {
          best = score;
        }
      }
    }
  }
  if (best === null) {
    throw new ConfigError(
      `no configuration meets a budget of ${options.budgetTokens} tokens per problem on held-out problems`,
      { hint: "raise --budget-tokens or add smaller --warmup sizes" },
    );
  }
  const config: PolicyConfig = { estimator: best.estimator, warmup: best.warmup, maxBins: best.maxBins };
  return { policy: tuneLoaded(runs, { ...rest, ...config }), config, scores };
}
