/**
 * report.csv: the numbers of report.json as one flat table (RFC 4180 quoting), one row per plotted
 * point, fitted coverage value and matched-budget reading.
 */
import { predictCoverage } from "../metrics/power-law.js";
import type { ComputeCost } from "../summary.js";
import type { ReportData } from "./data.js";

/** Column names of report.csv, in order. */
export const CSV_COLUMNS = [
  "group",
  "level",
  "problems",
  "kind",
  "series",
  "name",
  "k",
  "tokens_per_problem",
  "samples_per_problem",
  "prompt_tokens_per_problem",
  "calls_per_problem",
  "flops_per_problem",
  "bytes_per_problem",
  "eflops_per_problem",
  "value",
  "ci_low",
  "ci_high",
  "fit_a",
  "fit_b",
  "fit_r2",
] as const;

type Cell = string | number | null | undefined;

/** The compute columns of a point (empty without compute; FLOPs empty without a model shape). */
function computeCells(c: ComputeCost | null) {
  return {
    prompt_tokens_per_problem: c?.promptTokens,
    calls_per_problem: c?.calls,
    flops_per_problem: c?.flops,
    bytes_per_problem: c?.bytes,
    eflops_per_problem: c?.eflops,
  };
}

/** One field, quoted when it holds a comma, quote or line break. */
export function csvField(value: Cell): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The CSV text. Row kinds: `strategy`; `majority` / `best-of-n` / `weighted-majority` (pool methods at
 * k, k = 1 being pass@1); `coverage` (coverage@k); `coverage-fit` (the fitted exp(a·k^b) at each k,
 * with a, b and R²); `matched` (a pool method's accuracy interpolated at a strategy's tokens: `series`
 * is the pool method, `name` the strategy, `k` the equivalent k). The compute columns (prompt tokens,
 * calls, FLOPs, bytes, eFLOPs per problem) are empty where a figure is absent.
 */
export function reportCsv(data: ReportData): string {
  const lines = [CSV_COLUMNS.join(",")];
  const row = (cells: Record<(typeof CSV_COLUMNS)[number], Cell>) => {
    lines.push(CSV_COLUMNS.map((c) => csvField(cells[c])).join(","));
  };
  for (const g of data.groups) {
    const base = { group: g.label, level: g.level, problems: g.problems };
    const none = { fit_a: null, fit_b: null, fit_r2: null };
    for (const p of [...g.points, ...g.coverage]) {
      row({
        ...base,
        kind: p.kind,
        series: p.series,
        name: p.name,
        k: p.k,
        tokens_per_problem: p.tokensPerProblem,
        samples_per_problem: p.samplesPerProblem,
        ...computeCells(p.compute),
        value: p.value,
        ci_low: p.ci[0],
        ci_high: p.ci[1],
        ...none,
      });
    }
    const fit = g.coverageFit;
    if (fit) {
      for (const p of g.coverage) {
        row({
          ...base,
          kind: "coverage-fit",
          series: "coverage-fit",
          name: `fit@${p.k}`,
          k: p.k,
          tokens_per_problem: p.tokensPerProblem,
          samples_per_problem: p.samplesPerProblem,
          ...computeCells(p.compute),
          value: round(predictCoverage(fit, p.k!), 6),
          ci_low: null,
          ci_high: null,
          fit_a: fit.a,
          fit_b: fit.b,
          fit_r2: fit.r2,
        });
      }
    }
    for (const m of g.matched) {
      for (const v of m.pool) {
        row({
          ...base,
          kind: "matched",
          series: v.series,
          name: m.strategy,
          k: v.k,
          tokens_per_problem: m.tokensPerProblem,
          samples_per_problem: null,
          ...computeCells(null),
          value: v.value,
          ci_low: null,
          ci_high: null,
          ...none,
        });
      }
    }
  }
  const frontier = data.frontier;
  if (frontier) {
    for (const p of frontier.points) {
      row({
        group: "all",
        level: null,
        problems: p.problems,
        kind: `allocation-${p.kind}`,
        series: "allocation",
        name: p.name,
        k: null,
        tokens_per_problem: p.tokens,
        samples_per_problem: null,
        ...computeCells(null),
        value: p.accuracy,
        ci_low: p.ci[0],
        ci_high: p.ci[1],
        fit_a: null,
        fit_b: null,
        fit_r2: null,
      });
    }
  }
  return `${lines.join("\n")}\n`;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
