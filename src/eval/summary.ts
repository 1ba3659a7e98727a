/**
 * The numbers of a run, computed from its store: per difficulty level (and overall) the accuracy of
 * every strategy, and from the sample pools pass@1, maj@k and coverage@k (plus BoN@k and weighted
 * maj@k when the pool was scored) for k = 1, 2, 4, … ≤ n, each with a seeded 95% bootstrap CI over
 * problems, and next to each its policy compute per problem (tokens, calls, FLOPs, memory bytes,
 * eFLOPs; see {@link ComputeCost}).
 *
 * This module assembles the summary from a store and is where users import it from; the parts live
 * beside it: summary-types.ts (the shape), summary-problem.ts (one problem's values), summary-cost.ts
 * (compute per problem), summary-groups.ts (metric rows with CIs), summary-format.ts (the text table).
 */

import { datasetMathGrading } from "./datasets/grading-config.js";
import { createGrader } from "./grading.js";
import type { RunModelShape } from "./model-shape.js";
import type { EvalConfig, ExecuteStats } from "./runner.js";
import type { RunStore } from "./store.js";
import { COST_OPTIONS, round } from "./summary-cost.js";
import { groupSummary } from "./summary-groups.js";
import { poolKs, problemValues } from "./summary-problem.js";
import type { EvalSummary, GroupSummary } from "./summary-types.js";

export { COST_OPTIONS } from "./summary-cost.js";
export { formatSummary } from "./summary-format.js";
export { canonicalAnswers, poolKs } from "./summary-problem.js";
export type {
  ComputeCost,
  CostSettings,
  EvalSummary,
  GroupSummary,
  MetricKind,
  MetricRow,
} from "./summary-types.js";

/** Options of {@link summarizeRun}. */
export interface SummaryOptions {
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** This invocation's stats, for the speed line. */
  stats?: ExecuteStats;
  /** Model id as the backend reports it. */
  modelId?: string;
  /** Model shape of the cost figures instead of the one the store recorded (null: none). */
  modelShape?: RunModelShape | null;
}

/** Computes the summary of a run from its store (completed problems only). */
export function summarizeRun(store: RunStore, options: SummaryOptions = {}): EvalSummary {
  const config = store.config<EvalConfig>();
  const resamples = options.resamples ?? 1000;
  const ciOptions = { resamples, seed: config.seed };
  const ks = poolKs(config.samples);
  // Extracted answers are already normalised for arith and code; math needs equivalence classes.
  const equal =
    config.grading === "math"
      ? createGrader("math", { math: datasetMathGrading(config.dataset) }).sameAnswer
      : undefined;
  const problems = store.problems();
  const completed = problems.filter((p) => p.completed);
  const samplesBy = groupBy(store.samples(), (s) => s.problemId);
  const resultsBy = groupBy(store.results(), (r) => r.problemId);
  const shape = options.modelShape !== undefined ? options.modelShape : store.modelShape();
  const values = completed.map((p) =>
    problemValues(p, samplesBy.get(p.id) ?? [], resultsBy.get(p.id) ?? [], ks, equal, config.seed, shape),
  );
  const groups: GroupSummary[] = [];
  const levels = [...new Set(values.map((v) => v.level).filter((l): l is number => l !== null))].sort(
    (a, b) => a - b,
  );
  if (levels.length > 1) {
    for (const level of levels) {
      const rows = values.filter((v) => v.level === level);
      groups.push(groupSummary(`level ${level}`, level, rows, config, ks, ciOptions));
    }
  }
  if (values.length > 0) groups.push(groupSummary("all", null, values, config, ks, ciOptions));
  const counts = store.counts();
  const stats = options.stats;
  return {
    dataset: config.dataset,
    where: config.where,
    grading: config.grading,
    model: { ...config.model, ...(options.modelId ? { id: options.modelId } : {}) },
    scorer: config.scorer ?? null,
    seed: config.seed,
    pool: {
      samples: config.samples,
      temperature: config.temperature,
      topP: config.topP,
      maxTokens: config.maxTokens,
    },
    strategies: config.strategies,
    ks,
    cost: { shape, ...COST_OPTIONS },
    problems: { total: counts.problems, completed: counts.completed },
    counts: { samples: counts.samples, results: counts.results },
    groups,
    ...(stats && stats.problems > 0
      ? {
          speed: {
            wallSeconds: round(stats.wallSeconds, 3),
            problems: stats.problems,
            samples: stats.samples,
            completionTokens: stats.completionTokens,
            samplesPerSecond: round(stats.samples / stats.wallSeconds, 3),
            tokensPerSecond: round(stats.completionTokens / stats.wallSeconds, 1),
          },
        }
      : {}),
    ci: { level: 0.95, resamples, seed: config.seed },
  };
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
