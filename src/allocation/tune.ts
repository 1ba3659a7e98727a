/**
 * `deliberate tune` as a library call: reads stored eval runs (of one model and task), fits an
 * allocation policy under an average token budget, and returns it with its fingerprint.
 */
import { resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { EvalConfig } from "../eval/runner.js";
import { RunStore } from "../eval/store.js";
import type { DifficultyEstimator } from "./difficulty.js";
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
import {
  allocationOutcomes,
  type PoolProblem,
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
  const outcomes = runs.flatMap((run) => {
    const confidences = options.confidences?.get(run.dir);
    const problems =
      estimator === "confidence"
        ? run.problems.map((p) => withConfidences(p, confidences?.get(p.id), run.dir))
        : run.problems;
    return allocationOutcomes(problems, { estimator, warmup, same: runEquivalence(run.config) });
  });
  if (outcomes.length === 0) throw new ConfigError("the runs have no completed problems");
  const fit = fitAllocation(outcomes, {
    budgetTokens: options.budgetTokens,
    ...(options.maxBins !== undefined ? { maxBins: options.maxBins } : {}),
  });
  return {
    ...reference,
    bins: fit.bins,
    expected: { problems: fit.problems, accuracy: fit.accuracy, tokens: fit.tokens },
  };
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
