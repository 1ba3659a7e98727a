/**
 * `deliberate tune` as a library call: reads stored eval runs (of one model and task), fits an
 * allocation policy under an average token budget, and returns it with its fingerprint.
 */
import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { EvalConfig } from "../eval/runner.js";
import { RunStore } from "../eval/store.js";
import { type DifficultyEstimator, solveRate } from "./difficulty.js";
import { SCORE_FEATURES, WARMUP_FEATURES, type WarmupFeature } from "./features.js";
import { runModelFingerprint } from "./fingerprint.js";
import { fitAllocation } from "./fit.js";
import {
  type AllocationPolicy,
  checkFingerprint,
  describeFingerprint,
  POLICY_FORMAT,
  POLICY_VERSION,
  type PolicyFingerprint,
  PolicyMismatchError,
} from "./policy.js";
import { type DifficultyPredictor, fitPredictor } from "./predictor.js";
import {
  allocationOutcomes,
  hasScores,
  type PoolProblem,
  poolFeatures,
  readPoolProblems,
  runEquivalence,
  runTask,
  runWarmup,
} from "./runs.js";

/** Options of {@link tunePolicy}. */
export interface TuneOptions {
  /** Mean generated tokens per problem the policy may spend, warm-up included. */
  budgetTokens: number;
  /** Difficulty estimator (default `agreement`). */
  estimator?: DifficultyEstimator;
  /** Warm-up samples per problem (default 4). */
  warmup?: number;
  /** Most difficulty bins (default 6). */
  maxBins?: number;
  /**
   * Per-sample confidences for the `confidence` estimator, by run directory then problem id (mean
   * token log-probability of each of the first warm-up samples); stored runs do not keep them.
   */
  confidences?: Map<string, Map<string, number[]>>;
  /**
   * Warm-up features of the `predicted` estimator (default: every feature the runs allow — the score
   * features only when every pool sample is scored).
   */
  features?: readonly WarmupFeature[];
  /** L2 penalty of the `predicted` estimator's logistic model (default 1). */
  l2?: number;
}

/** A run's problems and configuration, read once. */
export interface LoadedRun {
  dir: string;
  config: EvalConfig;
  fingerprint: PolicyFingerprint;
  problems: PoolProblem[];
}

/** Reads a run directory for allocation: its completed problems, configuration and fingerprint. */
export function loadRun(dir: string): LoadedRun {
  const store = RunStore.open(dir);
  try {
    const config = store.config<EvalConfig>();
    return {
      dir: resolve(dir),
      config,
      fingerprint: { model: runModelFingerprint(config.model), task: runTask(config) },
      problems: readPoolProblems(store),
    };
  } finally {
    store.close();
  }
}

/**
 * Fits a policy on the runs in `dirs`, which must share model, task and pool settings.
 *
 * @throws ConfigError (PolicyMismatchError for another model or task) when the runs disagree, have
 *   no completed problems, or the budget cannot be met.
 */
export function tunePolicy(dirs: readonly string[], options: TuneOptions): AllocationPolicy {
  if (dirs.length === 0) throw new ConfigError("no run directory given");
  const runs = dirs.map(loadRun);
  return tuneLoaded(runs, options);
}

/** {@link tunePolicy} over runs already loaded. */
export function tuneLoaded(runs: readonly LoadedRun[], options: TuneOptions): AllocationPolicy {
  const first = runs[0]!;
  const estimator = options.estimator ?? "agreement";
  const warmup = runWarmup(first.config, options.warmup ?? 4);
  const reference: AllocationPolicy = {
    format: POLICY_FORMAT,
    version: POLICY_VERSION,
    fingerprint: first.fingerprint,
    estimator,
    warmup,
    budgetTokens: options.budgetTokens,
    bins: [],
    expected: { problems: 0, accuracy: 0, tokens: 0 },
    runs: runs.map((r) => r.dir),
  };
  for (const run of runs.slice(1)) {
    try {
      checkFingerprint(reference, run.fingerprint);
    } catch (error) {
      if (!(error instanceof PolicyMismatchError)) throw error;
      throw new PolicyMismatchError(
        `run ${run.dir} is of ${describeFingerprint(run.fingerprint)}, but ${first.dir} is of ` +
          `${describeFingerprint(first.fingerprint)}: one policy is fitted on one model and task`,
      );
    }
    const w = runWarmup(run.config, warmup.samples);
    if (w.temperature !== warmup.temperature || w.topP !== warmup.topP || w.maxTokens !== warmup.maxTokens) {
      throw new ConfigError(
        `run ${run.dir} samples its pool with other settings than ${first.dir} (temperature, top-p, max tokens)`,
      );
    }
  }
  const predictor = estimator === "predicted" ? fitRunsPredictor(runs, warmup.samples, options) : undefined;
  const outcomes = runs.flatMap((run) => {
    const confidences = options.confidences?.get(run.dir);
    const problems =
      estimator === "confidence"
        ? run.problems.map((p) => withConfidences(p, confidences?.get(p.id), run.dir))
        : run.problems;
    return allocationOutcomes(problems, {
      estimator,
      warmup,
      same: runEquivalence(run.config),
      ...(predictor ? { predictor } : {}),
    });
  });
  if (outcomes.length === 0) throw new ConfigError("the runs have no completed problems");
  const fit = fitAllocation(outcomes, {
    budgetTokens: options.budgetTokens,
    ...(options.maxBins !== undefined ? { maxBins: options.maxBins } : {}),
  });
  return {
    ...reference,
    ...(predictor ? { predictor } : {}),
    bins: fit.bins,
    expected: { problems: fit.problems, accuracy: fit.accuracy, tokens: fit.tokens },
  };
}

/**
 * The `predicted` estimator's model fitted on every problem of the runs: the features of its first
 * `warmup` pool samples against its solve rate over the whole pool.
 *
 * @throws ConfigError when score features are asked of unscored runs.
 */
export function fitRunsPredictor(
  runs: readonly LoadedRun[],
  warmup: number,
  options: Pick<TuneOptions, "features" | "l2">,
): DifficultyPredictor {
  const scored = runs.every((run) => hasScores(run.problems));
  const features = options.features ?? WARMUP_FEATURES.filter((f) => scored || !SCORE_FEATURES.includes(f));
  if (!scored && features.some((f) => SCORE_FEATURES.includes(f))) {
    throw new ConfigError("the score features of the predicted estimator need runs with a scorer", {
      hint: "evaluate with --scorer SPEC, or leave the score features out",
    });
  }
  const rows = runs.flatMap((run) => {
    const same = runEquivalence(run.config);
    return run.problems.map((p) => ({
      x: poolFeatures(p, features, warmup, same),
      rate: solveRate(p.samples.map((s) => s.correct)),
    }));
  });
  return fitPredictor(features, rows, options.l2 !== undefined ? { l2: options.l2 } : {});
}

/** A problem with the given confidences on its first samples. */
export function withConfidences(
  problem: PoolProblem,
  confidences: number[] | undefined,
  dir: string,
): PoolProblem {
  if (!confidences) {
    throw new ConfigError(`no confidences for problem ${problem.id} of ${dir}`);
  }
  return {
    ...problem,
    samples: problem.samples.map((s, i) =>
      i < confidences.length ? { ...s, confidence: confidences[i]! } : s,
    ),
  };
}
