/**
 * The metric rows of one group of problems (a difficulty level, or all): per strategy its accuracy, and
 * from the pools pass@1 and the @k families, each a mean over problems with a seeded bootstrap CI.
 */
import { bootstrapCI, mean } from "./metrics/bootstrap.js";
import type { EvalConfig } from "./runner.js";
import { meanCompute, round, roundCompute, timesSamples } from "./summary-cost.js";
import type { ProblemValues } from "./summary-problem.js";
import type { GroupSummary, MetricKind, MetricRow } from "./summary-types.js";

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

/** The metrics of one group: strategy rows in the configured order, then pass@1 and the pool families. */
export function groupSummary(
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
