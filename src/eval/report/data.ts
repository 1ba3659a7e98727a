/**
 * The numbers of a run report, computed from the run directory alone: the run store (through
 * {@link summarizeRun}, the same seeded computation `deliberate eval` prints and writes to
 * summary.json) plus per-strategy candidate counts read from the store.
 *
 * Every accuracy becomes a point at a compute cost, so that strategies and pool methods can be compared
 * at matched budgets: a strategy sits at its mean generated tokens (and FLOPs, eFLOPs) per problem; a
 * pool method at k (majority vote, best-of-n, weighted majority over a random k-subset of the pool)
 * sits at k times the pool's mean cost per sample, which is the expected cost of drawing those k samples.
 */

import { fitCoveragePowerLaw } from "../metrics/power-law.js";
import type { RunModelShape } from "../model-shape.js";
import type { EvalConfig } from "../runner.js";
import type { RunStore } from "../store.js";
import {
  type ComputeCost,
  type EvalSummary,
  type GroupSummary,
  type MetricRow,
  summarizeRun,
} from "../summary.js";
import type { AllocationFrontier } from "./frontier.js";

/** Version of the report.json layout. */
export const REPORT_VERSION = 1;

/** The pool methods plotted against k (all start at pass@1 for k = 1). */
export type PoolSeries = "majority" | "best-of-n" | "weighted-majority";

/** One accuracy at a cost: a strategy, or a pool method or coverage at k. */
export interface ReportPoint {
  /** Strategy spec as given, or a pool series (`majority`, `best-of-n`, `weighted-majority`, `coverage`). */
  series: string;
  /** Metric name as in the summary: the strategy spec, `pass@1`, `maj@4`, `coverage@8`, … */
  name: string;
  kind: "strategy" | PoolSeries | "coverage";
  /** Canonical strategy spec, for strategy points. */
  strategy?: string;
  /** Pool k, for pool and coverage points. */
  k?: number;
  /** Mean generated tokens per problem: the strategy's, or k × the pool's mean tokens per sample. */
  tokensPerProblem: number | null;
  /** Mean completions per problem: the strategy's candidates, or k. */
  samplesPerProblem: number | null;
  /** Mean policy compute per problem on the same terms as `tokensPerProblem` (FLOPs null without a model shape). */
  compute: ComputeCost | null;
  /** Mean over problems (accuracy, or coverage for coverage points). */
  value: number;
  /** 95% bootstrap CI over problems. */
  ci: [number, number];
}

/** The fitted coverage law c(k) ≈ exp(a·k^b), or why there is none. */
export interface CoverageFit {
  a: number;
  b: number;
  r2: number;
  /** Points the fit used (those with 0 < coverage < 1). */
  points: number;
}

/** A pool method's accuracy read off its curve at a strategy's budget. */
export interface MatchedValue {
  series: PoolSeries;
  /** Accuracy interpolated (linearly in log tokens) between the two k around the budget; null outside the curve (more than 5% beyond its ends). */
  value: number | null;
  /** The (fractional) k with the same expected tokens. */
  k: number | null;
}

/** One strategy against the pool methods at the same mean generated tokens. */
export interface MatchedRow {
  strategy: string;
  tokensPerProblem: number;
  value: number;
  ci: [number, number];
  pool: MatchedValue[];
}

/** The report numbers of one difficulty level, or of all problems (`level` null). */
export interface ReportGroup {
  label: string;
  level: number | null;
  problems: number;
  /** Mean generated tokens per pool sample (null without a pool). */
  tokensPerSample: number | null;
  /** Strategy points, then each pool series from k = 1 (pass@1) up. */
  points: ReportPoint[];
  /** Coverage at k = 1 (pass@1), 2, 4, … n. */
  coverage: ReportPoint[];
  coverageFit: CoverageFit | null;
  /** Why there is no fit (fewer than two points with 0 < coverage < 1, no pool). */
  coverageFitError?: string;
  matched: MatchedRow[];
}

/** Everything report.json holds. */
export interface ReportData {
  version: typeof REPORT_VERSION;
  generatedAt: string;
  run: {
    dir: string;
    createdAt: string | null;
    dataset: string;
    where: EvalSummary["where"];
    grading: EvalSummary["grading"];
    model: EvalSummary["model"];
    scorer: string | null;
    seed: number;
    pool: EvalSummary["pool"];
    strategies: EvalSummary["strategies"];
    ks: number[];
    /** Model shape and settings of the FLOPs / bytes / eFLOPs figures. */
    cost: EvalSummary["cost"];
    problems: EvalSummary["problems"];
    counts: EvalSummary["counts"];
    ci: EvalSummary["ci"];
  };
  /** Per level (when the problems have more than one), then `all`. */
  groups: ReportGroup[];
  /** The allocation frontier, when the report was asked for policies (`--policy`). */
  frontier?: AllocationFrontier;
}

/** Options of {@link buildReportData}. */
export interface ReportDataOptions {
  /** Run directory, as shown in the report. */
  dir: string;
  /** Model id the backend reported (from summary.json), when known. */
  modelId?: string;
  /** Bootstrap resamples (default 1000, as `deliberate eval`). */
  resamples?: number;
  /** Timestamp to record (default now). */
  now?: Date;
  /** Model shape of the cost figures instead of the one the run recorded. */
  modelShape?: RunModelShape;
}

const POOL_SERIES: { series: PoolSeries; kind: MetricRow["kind"] }[] = [
  { series: "majority", kind: "majority" },
  { series: "best-of-n", kind: "best-of-n" },
  { series: "weighted-majority", kind: "weighted-majority" },
];

/** Computes the report numbers of the run in `store` (completed problems only). */
export function buildReportData(store: RunStore, options: ReportDataOptions): ReportData {
  const summary = summarizeRun(store, {
    ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    ...(options.modelId ? { modelId: options.modelId } : {}),
    ...(options.modelShape ? { modelShape: options.modelShape } : {}),
  });
  const config = store.config<EvalConfig>();
  const candidates = meanCandidates(store, config);
  const groups = summary.groups.map((g) => reportGroup(g, summary.pool.samples, candidates));
  return {
    version: REPORT_VERSION,
    generatedAt: (options.now ?? new Date()).toISOString(),
    run: {
      dir: options.dir,
      createdAt: store.getKey("created_at"),
      dataset: summary.dataset,
      where: summary.where,
      grading: summary.grading,
      model: summary.model,
      scorer: summary.scorer,
      seed: summary.seed,
      pool: summary.pool,
      strategies: summary.strategies,
      ks: summary.ks,
      cost: summary.cost,
      problems: summary.problems,
      counts: summary.counts,
      ci: summary.ci,
    },
    groups,
  };
}

/** Mean candidates per problem of each strategy, per level and overall (key `all`). */
function meanCandidates(store: RunStore, config: EvalConfig): Map<string, Map<string, number>> {
  const levelOf = new Map(store.problems().map((p) => [p.id, p.level ?? null]));
  const sums = new Map<string, Map<string, { sum: number; n: number }>>();
  const add = (group: string, strategy: string, value: number) => {
    let byStrategy = sums.get(group);
    if (!byStrategy) {
      byStrategy = new Map();
      sums.set(group, byStrategy);
    }
    const entry = byStrategy.get(strategy) ?? { sum: 0, n: 0 };
    entry.sum += value;
    entry.n++;
    byStrategy.set(strategy, entry);
  };
  const known = new Set(config.strategies.map((s) => s.canonical));
  for (const r of store.results()) {
    if (!known.has(r.strategy)) continue;
    const level = levelOf.get(r.problemId);
    if (level !== null && level !== undefined) add(`level ${level}`, r.strategy, r.candidates);
    add("all", r.strategy, r.candidates);
  }
  const means = new Map<string, Map<string, number>>();
  for (const [group, byStrategy] of sums) {
    means.set(group, new Map([...byStrategy].map(([s, e]) => [s, e.sum / e.n])));
  }
  return means;
}

function reportGroup(
  group: GroupSummary,
  poolSize: number,
  candidates: Map<string, Map<string, number>>,
): ReportGroup {
  const key = group.level === null ? "all" : `level ${group.level}`;
  const points: ReportPoint[] = [];
  for (const m of group.metrics) {
    if (m.kind !== "strategy") continue;
    const meanOf = candidates.get(key)?.get(m.strategy ?? "");
    points.push({
      series: m.name,
      name: m.name,
      kind: "strategy",
      ...(m.strategy !== undefined ? { strategy: m.strategy } : {}),
      tokensPerProblem: m.tokensPerProblem ?? null,
      samplesPerProblem: meanOf === undefined ? null : round(meanOf, 4),
      compute: m.compute ?? null,
      value: m.value,
      ci: m.ci,
    });
  }
  const pass1 = group.metrics.find((m) => m.kind === "pass@1");
  // The summary prices every pool metric at k as k samples (pass@1: one).
  const tokensPerSample =
    pass1?.tokensPerProblem !== undefined && poolSize > 0 ? pass1.tokensPerProblem : null;
  const poolPoint = (
    m: MetricRow,
    series: ReportPoint["series"],
    kind: ReportPoint["kind"],
  ): ReportPoint => ({
    series,
    name: m.name,
    kind,
    k: m.k ?? 1,
    tokensPerProblem: m.tokensPerProblem ?? null,
    samplesPerProblem: m.k ?? 1,
    compute: m.compute ?? null,
    value: m.value,
    ci: m.ci,
  });
  const coverage: ReportPoint[] = [];
  if (pass1) {
    for (const { series, kind } of POOL_SERIES) {
      const rows = group.metrics.filter((m) => m.kind === kind);
      // Without a scorer there are no best-of-n / weighted-majority rows: no series at all then.
      if (series !== "majority" && rows.length === 0) continue;
      points.push(poolPoint(pass1, series, series));
      for (const m of rows) points.push(poolPoint(m, series, series));
    }
    coverage.push(poolPoint(pass1, "coverage", "coverage"));
    for (const m of group.metrics.filter((x) => x.kind === "coverage")) {
      coverage.push(poolPoint(m, "coverage", "coverage"));
    }
  }
  let coverageFit: CoverageFit | null = null;
  let coverageFitError: string | undefined;
  if (coverage.length === 0) coverageFitError = "the run has no sample pool";
  else {
    try {
      const law = fitCoveragePowerLaw(
        coverage.map((p) => p.k!),
        coverage.map((p) => p.value),
      );
      coverageFit = { a: law.a, b: law.b, r2: law.r2, points: law.points };
    } catch (error) {
      coverageFitError = (error as Error).message;
    }
  }
  return {
    label: group.label,
    level: group.level,
    problems: group.problems,
    tokensPerSample: tokensPerSample === null ? null : round(tokensPerSample, 4),
    points,
    coverage,
    coverageFit,
    ...(coverageFitError !== undefined ? { coverageFitError } : {}),
    matched: matchedRows(points, tokensPerSample),
  };
}

/** Each strategy against each pool curve, read at the strategy's mean generated tokens. */
function matchedRows(points: readonly ReportPoint[], tokensPerSample: number | null): MatchedRow[] {
  const rows: MatchedRow[] = [];
  for (const s of points) {
    if (s.kind !== "strategy" || s.tokensPerProblem === null) continue;
    const pool: MatchedValue[] = [];
    for (const { series } of POOL_SERIES) {
      const curve = points
        .filter((p) => p.kind === series && p.tokensPerProblem !== null)
        .sort((a, b) => a.tokensPerProblem! - b.tokensPerProblem!);
      if (curve.length === 0) continue;
      pool.push({
        series,
        value: interpolateLog(curve, s.tokensPerProblem),
        k: tokensPerSample ? round(s.tokensPerProblem / tokensPerSample, 4) : null,
      });
    }
    rows.push({ strategy: s.series, tokensPerProblem: s.tokensPerProblem, value: s.value, ci: s.ci, pool });
  }
  return rows;
}

/**
 * Linear interpolation in log(tokens) on a curve sorted by tokens. A budget within
 * {@link END_TOLERANCE} (relative) beyond an end of the curve reads that end (a greedy run costs about
 * one pool sample, give or take rounding); further out there is no value (null).
 */
function interpolateLog(curve: readonly ReportPoint[], tokens: number): number | null {
  if (!(tokens > 0) || curve.length === 0) return null;
  const first = curve[0]!;
  const last = curve[curve.length - 1]!;
  if (tokens <= first.tokensPerProblem!) {
    return tokens >= first.tokensPerProblem! * (1 - END_TOLERANCE) ? first.value : null;
  }
  if (tokens >= last.tokensPerProblem!) {
    return tokens <= last.tokensPerProblem! * (1 + END_TOLERANCE) ? last.value : null;
  }
  for (let i = 1; i < curve.length; i++) {
    const hi = curve[i]!;
    const xHi = hi.tokensPerProblem!;
    if (xHi < tokens) continue;
    const lo = curve[i - 1]!;
    const xLo = lo.tokensPerProblem!;
    if (xHi === xLo) return hi.value;
    const t = (Math.log(tokens) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo));
    return round(lo.value + t * (hi.value - lo.value), 6);
  }
  return null;
}

/** How far (relative) beyond an end of a pool curve a strategy's budget still reads that end. */
export const END_TOLERANCE = 0.05;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
