/**
 * The numbers of a run, computed from its store: per difficulty level (and overall) the accuracy of
 * every strategy, and from the sample pools pass@1, maj@k and coverage@k (plus BoN@k and weighted
 * maj@k when the pool was scored) for k = 1, 2, 4, … ≤ n, each with a seeded 95% bootstrap CI over
 * problems, and next to each its policy compute per problem (tokens, calls, FLOPs, memory bytes,
 * eFLOPs; see {@link ComputeCost}).
 */

import { datasetMathGrading } from "./datasets/grading-config.js";
import { createGrader } from "./grading.js";
import { bootstrapCI, mean } from "./metrics/bootstrap.js";
import { type CostOptions, type ModelShape, problemCost, type SequenceShape } from "./metrics/flops.js";
import { passAtK } from "./metrics/pass-at-k.js";
import { bestOfNAtK, majorityAtK, weightedMajorityAtK } from "./metrics/voting.js";
import type { RunModelShape } from "./model-shape.js";
import type { EvalConfig, ExecuteStats } from "./runner.js";
import type { ResultRecord, RunStore, SampleRecord, StoredProblem } from "./store.js";

/** Kinds of metric rows. */
export type MetricKind = "strategy" | "pass@1" | "majority" | "coverage" | "best-of-n" | "weighted-majority";

/** One metric of one group: mean over the group's problems with its 95% bootstrap CI. */
export interface MetricRow {
  /** Display name: the strategy spec, `pass@1`, `maj@4`, `coverage@8`, `bon@4`, `wmaj@4`. */
  name: string;
  kind: MetricKind;
  k?: number;
  /** Canonical strategy spec, for strategy rows. */
  strategy?: string;
  value: number;
  ci: [number, number];
  /** Mean generated tokens per problem: the strategy's, or k pool samples' for pool metrics at k. */
  tokensPerProblem?: number;
  /** Mean policy compute per problem, on the same terms as `tokensPerProblem`. */
  compute?: ComputeCost;
}

/**
 * Policy-model compute per problem (a mean over problems). A strategy's is what its run used; a pool
 * metric at k (pass@1 is k = 1) is the expected cost of k pool samples drawn in one request: k times
 * the mean sample's generated tokens, FLOPs, bytes and eFLOPs, with the request's prompt tokens and
 * one call. Scorer compute is not included.
 */
export interface ComputeCost {
  /** Prompt tokens, counted once per request (the `Usage` convention). */
  promptTokens: number;
  generatedTokens: number;
  /** Backend calls. */
  calls: number;
  /** Dense + attention FLOPs (metrics/flops.ts; each sequence pays its whole prompt); null without a model shape. */
  flops: number | null;
  /** Bytes read from memory: weights and KV cache; null without a model shape. */
  bytes: number | null;
  /** Kinetics-style cost, flops + intensity · bytes; null without a model shape. */
  eflops: number | null;
}

/** How the cost figures of a summary were computed. */
export interface CostSettings {
  /** The model shape (from the GGUF or `--model-shape`); null: FLOPs, bytes and eFLOPs are null. */
  shape: RunModelShape | null;
  /** FLOPs per byte of memory bandwidth that converts bytes into eFLOPs. */
  intensity: number;
  /** Sequences assumed to share each read of the weights. */
  batchSize: number;
}

/** The metrics of one difficulty level, or of all problems (`level` null). */
export interface GroupSummary {
  label: string;
  level: number | null;
  problems: number;
  metrics: MetricRow[];
}

/** The whole summary: what `--json` prints and `summary.json` holds. */
export interface EvalSummary {
  dataset: string;
  where: EvalConfig["where"];
  grading: EvalConfig["grading"];
  model: EvalConfig["model"] & { id?: string };
  scorer: string | null;
  seed: number;
  pool: { samples: number; temperature: number; topP: number; maxTokens: number };
  strategies: EvalConfig["strategies"];
  /** k values of maj@k / coverage@k. */
  ks: number[];
  cost: CostSettings;
  problems: { total: number; completed: number };
  counts: { samples: number; results: number };
  groups: GroupSummary[];
  /** This invocation's generation speed, when it generated anything. */
  speed?: {
    wallSeconds: number;
    problems: number;
    samples: number;
    completionTokens: number;
    samplesPerSecond: number;
    tokensPerSecond: number;
  };
  ci: { level: number; resamples: number; seed: number };
}

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

/** The cost model's settings: a batch of one sequence, an H100-like 295 FLOPs per byte. */
export const COST_OPTIONS: Required<CostOptions> = { batchSize: 1, intensity: 295 };

/** k = 1, 2, 4, … ≤ n, plus n itself. */
export function poolKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (n > 0 && ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

/** Per-problem values every group aggregates. */
interface ProblemValues {
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

/** The cost of some sequences: prompt tokens, generated tokens and calls as given, the rest from the shape. */
function sequencesCost(
  shape: ModelShape | null,
  sequences: readonly SequenceShape[] | undefined,
  counts: { promptTokens: number; generatedTokens: number; calls: number },
): ComputeCost {
  const cost = shape && sequences ? problemCost(shape, sequences, COST_OPTIONS) : null;
  return { ...counts, flops: cost?.flops ?? null, bytes: cost?.bytes ?? null, eflops: cost?.eflops ?? null };
}

/** The mean sample of a pool: its request's prompt tokens and call, the mean generated tokens and cost. */
function sampleCost(shape: ModelShape | null, samples: readonly SampleRecord[]): ComputeCost | null {
  if (samples.length === 0) return null;
  const sequences = samples.map((s) => ({
    promptTokens: s.promptTokens,
    generatedTokens: s.completionTokens,
  }));
  const pool = sequencesCost(shape, sequences, {
    promptTokens: samples[0]!.promptTokens,
    generatedTokens: sequences.reduce((sum, q) => sum + q.generatedTokens, 0),
    calls: 1,
  });
  return timesSamples(pool, 1 / samples.length);
}

/** A pool cost scaled to `factor` times the samples: generated tokens and costs scale, the request does not. */
function timesSamples(c: ComputeCost, factor: number): ComputeCost {
  const times = (x: number | null) => (x === null ? null : x * factor);
  return {
    promptTokens: c.promptTokens,
    generatedTokens: c.generatedTokens * factor,
    calls: c.calls,
    flops: times(c.flops),
    bytes: times(c.bytes),
    eflops: times(c.eflops),
  };
}

/** Mean compute over problems; a cost figure is null when any problem lacks it. */
function meanCompute(costs: readonly ComputeCost[]): ComputeCost {
  const of = (pick: (c: ComputeCost) => number | null) => {
    const xs = costs.map(pick);
    return xs.some((x) => x === null) ? null : mean(xs as number[]);
  };
  return {
    promptTokens: mean(costs.map((c) => c.promptTokens)),
    generatedTokens: mean(costs.map((c) => c.generatedTokens)),
    calls: mean(costs.map((c) => c.calls)),
    flops: of((c) => c.flops),
    bytes: of((c) => c.bytes),
    eflops: of((c) => c.eflops),
  };
}

function roundCompute(c: ComputeCost): ComputeCost {
  const whole = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    promptTokens: round(c.promptTokens, 2),
    generatedTokens: round(c.generatedTokens, 2),
    calls: round(c.calls, 4),
    flops: whole(c.flops),
    bytes: whole(c.bytes),
    eflops: whole(c.eflops),
  };
}

function problemValues(
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

function metric(
  name: string,
  kind: MetricKind,
  perProblem: number[],
  options: { resamples: number; seed: number },
  extra: Partial<MetricRow> = {},
): MetricRow | null {
  if (perProblem.length === 0) return null;
  const ci = bootstrapCI(perProblem, mean, { samples: options.resamples, seed: options.seed });
  const { compute, ...rest } = extra;
  return {
    name,
    kind,
    ...rest,
    ...(compute
      ? { tokensPerProblem: round(compute.generatedTokens, 2), compute: roundCompute(compute) }
      : {}),
    value: round(ci.estimate, 6),
    ci: [round(ci.lower, 6), round(ci.upper, 6)],
  };
}

function groupSummary(
  label: string,
  level: number | null,
  rows: ProblemValues[],
  config: EvalConfig,
  ks: number[],
  options: { resamples: number; seed: number },
): GroupSummary {
  const metrics: MetricRow[] = [];
  const push = (row: MetricRow | null) => {
    if (row) metrics.push(row);
  };
  for (const s of config.strategies) {
    const per = rows.map((r) => r.strategies.get(s.canonical)).filter((x) => x !== undefined);
    push(
      metric(
        s.spec,
        "strategy",
        per.map((x) => x.correct),
        options,
        {
          strategy: s.canonical,
          ...(per.length > 0 ? { compute: meanCompute(per.map((x) => x.compute)) } : {}),
        },
      ),
    );
  }
  const pooled = rows.filter((r) => r.pass1 !== null);
  if (pooled.length > 0) {
    const sample = meanCompute(pooled.map((r) => r.sample!));
    push(
      metric(
        "pass@1",
        "pass@1",
        pooled.map((r) => r.pass1!),
        options,
        { k: 1, compute: sample },
      ),
    );
    const family = (kind: MetricKind, prefix: string, pick: (r: ProblemValues) => Map<number, number>) => {
      for (const k of ks) {
        if (k === 1) continue; // every @1 metric equals pass@1 on the same pool
        const per = pooled.map((r) => pick(r).get(k)).filter((x) => x !== undefined);
        if (per.length === pooled.length) {
          push(metric(`${prefix}@${k}`, kind, per, options, { k, compute: timesSamples(sample, k) }));
        }
      }
    };
    family("majority", "maj", (r) => r.majority);
    family("coverage", "coverage", (r) => r.coverage);
    family("best-of-n", "bon", (r) => r.bon);
    family("weighted-majority", "wmaj", (r) => r.wmaj);
  }
  return { label, level, problems: rows.length, metrics };
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

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
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

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A cost figure in short scientific notation (`2.31e8`), or `-` when absent. */
function formatCost(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : x.toExponential(2).replace("e+", "e");
}

/**
 * The human-readable report: a header, one table per group (metric, accuracy, 95% CI, generated
 * tokens per problem, and FLOPs and eFLOPs per problem when the model shape is known), an overview
 * with one column per level, and the speed line.
 */
export function formatSummary(summary: EvalSummary): string {
  const lines: string[] = [];
  const pool =
    summary.pool.samples > 0
      ? `pool ${summary.pool.samples} samples/problem (T=${summary.pool.temperature})`
      : "no pool";
  const model = summary.model.id ?? summary.model.model ?? summary.model.source;
  lines.push(
    `${summary.dataset}${summary.where.map((w) => ` ${w.field}=${w.value}`).join("")} · ` +
      `${summary.problems.completed}/${summary.problems.total} problems · ${pool} · model ${model}` +
      `${summary.scorer ? ` · scorer ${summary.scorer}` : ""} · seed ${summary.seed}`,
  );
  if (summary.problems.completed < summary.problems.total) {
    lines.push(`(incomplete run: resume it with --resume to finish the remaining problems)`);
  }
  const shape = summary.cost.shape;
  if (shape) {
    lines.push(
      `cost: ${shape.params} params, ${shape.layers} layers, dModel ${shape.dModel}, kvDim ${shape.kvDim}, ` +
        `${round(shape.bytesPerParam, 3)} bytes/param (${shape.source === "gguf" ? "GGUF metadata" : "--model-shape"}); ` +
        `eFLOPs = FLOPs + ${summary.cost.intensity} · bytes`,
    );
  } else lines.push("cost: model shape unknown, no FLOPs (pass --model-shape)");
  const nameWidth = Math.max(10, ...summary.groups.flatMap((g) => g.metrics.map((m) => m.name.length)));
  const costHead = shape ? `  ${pad("FLOPs/problem", 13, true)}  ${pad("eFLOPs/problem", 14, true)}` : "";
  for (const group of summary.groups) {
    lines.push("");
    lines.push(`${group.label} · ${group.problems} problems`);
    lines.push(
      `  ${pad("metric", nameWidth)}  ${pad("accuracy", 8, true)}  ${pad("95% CI", 16)}  ${pad("tokens/problem", 14, true)}${costHead}`,
    );
    for (const m of group.metrics) {
      const ci = `[${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]`;
      const tokens = m.tokensPerProblem !== undefined ? m.tokensPerProblem.toFixed(1) : "";
      const cost = shape
        ? `  ${pad(formatCost(m.compute?.flops), 13, true)}  ${pad(formatCost(m.compute?.eflops), 14, true)}`
        : "";
      lines.push(
        `  ${pad(m.name, nameWidth)}  ${pad(m.value.toFixed(3), 8, true)}  ${pad(ci, 16)}  ${pad(tokens, 14, true)}${cost}`,
      );
    }
  }
  if (summary.groups.length > 2) {
    lines.push("");
    lines.push("overview (accuracy)");
    const labels = summary.groups.map((g) => (g.level === null ? "all" : `L${g.level}`));
    lines.push(`  ${pad("metric", nameWidth)}${labels.map((l) => pad(l, 7, true)).join("")}`);
    const names = summary.groups[summary.groups.length - 1]!.metrics.map((m) => m.name);
    for (const name of names) {
      const cells = summary.groups.map((g) => {
        const m = g.metrics.find((x) => x.name === name);
        return pad(m ? m.value.toFixed(3) : "-", 7, true);
      });
      lines.push(`  ${pad(name, nameWidth)}${cells.join("")}`);
    }
  }
  if (summary.speed) {
    const s = summary.speed;
    lines.push("");
    lines.push(
      `generated ${s.samples} samples (${s.completionTokens} tokens) for ${s.problems} problems in ` +
        `${s.wallSeconds.toFixed(1)} s: ${s.samplesPerSecond.toFixed(2)} samples/s, ${s.tokensPerSecond.toFixed(0)} tokens/s`,
    );
  }
  return `${lines.map((l) => l.trimEnd()).join("\n")}\n`;
}
