/**
 * Checks of a report against the run it was made from: report.csv against report.json, and
 * report.json's groups against the store's raw rows, read with SQL independently of the report code.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fitCoveragePowerLaw, passAtK } from "../../src/eval/metrics/index.js";
import { CSV_COLUMNS, type ReportData, type ReportGroup } from "../../src/eval/report/index.js";

/** RFC 4180 parser (quoted fields with commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** The rows of a report.csv as records keyed by column, after checking its header. */
export function csvRecords(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(file, "utf8"));
  assert.deepEqual(header, [...CSV_COLUMNS]);
  return rows.map((r) => {
    assert.equal(r.length, CSV_COLUMNS.length, `row ${r.join(",")}`);
    return Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]!]));
  });
}

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

/** Every point of report.json has its CSV row with the same numbers. */
export function assertCsvMatchesJson(data: ReportData, rows: Record<string, string>[]): void {
  const num = (s: string | undefined) => (s === undefined || s === "" ? null : Number(s));
  for (const g of data.groups) {
    for (const p of [...g.points, ...g.coverage]) {
      const row = rows.find((r) => r.group === g.label && r.kind === p.kind && r.name === p.name);
      assert.ok(row, `CSV row for ${g.label} ${p.kind} ${p.name}`);
      assert.equal(num(row.value), p.value);
      assert.equal(num(row.ci_low), p.ci[0]);
      assert.equal(num(row.ci_high), p.ci[1]);
      assert.equal(num(row.tokens_per_problem), p.tokensPerProblem);
      assert.equal(num(row.samples_per_problem), p.samplesPerProblem);
      assert.equal(num(row.prompt_tokens_per_problem), p.compute?.promptTokens ?? null);
      assert.equal(num(row.calls_per_problem), p.compute?.calls ?? null);
      assert.equal(num(row.flops_per_problem), p.compute?.flops ?? null);
      assert.equal(num(row.bytes_per_problem), p.compute?.bytes ?? null);
      assert.equal(num(row.eflops_per_problem), p.compute?.eflops ?? null);
      assert.equal(row.level, g.level === null ? "" : String(g.level));
      assert.equal(num(row.problems), g.problems);
    }
    const fitRows = rows.filter((r) => r.group === g.label && r.kind === "coverage-fit");
    if (g.coverageFit) {
      assert.equal(fitRows.length, g.coverage.length);
      for (const r of fitRows) {
        assert.equal(num(r.fit_a), g.coverageFit.a);
        const k = Number(r.k);
        assert.ok(close(Number(r.value), Math.exp(g.coverageFit.a * k ** g.coverageFit.b)));
      }
    } else assert.equal(fitRows.length, 0);
    const matched = rows.filter((r) => r.group === g.label && r.kind === "matched");
    assert.equal(
      matched.length,
      g.matched.reduce((s, m) => s + m.pool.length, 0),
    );
  }
  const pointRows = data.groups.reduce((s, g) => s + g.points.length + g.coverage.length, 0);
  assert.equal(rows.filter((r) => !["coverage-fit", "matched"].includes(r.kind!)).length, pointRows);
}

/** Completed problems with their pool counts, and every strategy result, of a store. */
export interface StoreFacts {
  problems: { id: string; level: number | null; n: number; c: number; poolTokens: number }[];
  results: { problemId: string; strategy: string; correct: number; tokens: number; candidates: number }[];
}

/** The raw rows of a store, read with SQL, independent of the report code. */
export function storeFacts(dir: string): StoreFacts {
  const db = new Database(join(dir, "run.sqlite"), { readonly: true });
  try {
    const problems = db
      .prepare(
        `SELECT p.id AS id, p.level AS level, COUNT(s.pool_index) AS n, COALESCE(SUM(s.correct), 0) AS c,
           COALESCE(SUM(s.completion_tokens), 0) AS poolTokens
         FROM problems p LEFT JOIN samples s ON s.problem_id = p.id
         WHERE p.completed_at IS NOT NULL GROUP BY p.id ORDER BY p.idx`,
      )
      .all() as StoreFacts["problems"];
    const results = (
      db.prepare("SELECT problem_id, strategy, correct, usage, candidates FROM results").all() as {
        problem_id: string;
        strategy: string;
        correct: number;
        usage: string;
        candidates: number;
      }[]
    ).map((r) => ({
      problemId: r.problem_id,
      strategy: r.strategy,
      correct: r.correct,
      tokens: (JSON.parse(r.usage) as { completionTokens: number }).completionTokens,
      candidates: r.candidates,
    }));
    return { problems, results };
  } finally {
    db.close();
  }
}

const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** A group's pass@1, coverage@k, strategy accuracy/tokens/candidates and pool costs against the store. */
export function assertGroupMatchesStore(
  group: ReportGroup,
  facts: StoreFacts,
  poolSize: number,
  ks: number[],
): void {
  const probs = facts.problems.filter((p) => group.level === null || p.level === group.level);
  assert.equal(group.problems, probs.length, group.label);
  const pooled = probs.filter((p) => p.n > 0);
  if (pooled.length > 0) {
    for (const p of pooled) assert.equal(p.n, poolSize);
    const pass1 = avg(pooled.map((p) => p.c / p.n));
    const perSample = avg(pooled.map((p) => p.poolTokens)) / poolSize;
    // The summary rounds tokens/problem to 2 decimals.
    assert.ok(close(group.tokensPerSample!, perSample, 0.01), `${group.label} tokens/sample`);
    for (const k of ks) {
      const point = group.coverage.find((p) => p.k === k);
      assert.ok(point, `${group.label} coverage@${k}`);
      const expected = avg(pooled.map((p) => passAtK(p.n, p.c, k)));
      assert.ok(close(point.value, expected), `${group.label} coverage@${k}: ${point.value} vs ${expected}`);
      assert.ok(point.ci[0] <= point.value + 1e-9 && point.value <= point.ci[1] + 1e-9);
      assert.ok(close(point.tokensPerProblem!, k * perSample, 0.01 * k));
    }
    const maj1 = group.points.find((p) => p.kind === "majority" && p.k === 1);
    assert.ok(maj1 && close(maj1.value, pass1), `${group.label} majority curve starts at pass@1`);
    const fitInput = group.coverage.filter((p) => p.value > 0 && p.value < 1);
    if (fitInput.length >= 2) {
      const law = fitCoveragePowerLaw(
        group.coverage.map((p) => p.k!),
        group.coverage.map((p) => p.value),
      );
      assert.ok(group.coverageFit, `${group.label} has a fit`);
      assert.ok(close(group.coverageFit.a, law.a) && close(group.coverageFit.b, law.b));
    } else {
      assert.equal(group.coverageFit, null);
      assert.match(group.coverageFitError ?? "", /at least two points/);
    }
  }
  for (const s of group.points.filter((p) => p.kind === "strategy")) {
    const ids = new Set(probs.map((p) => p.id));
    const rs = facts.results.filter((r) => r.strategy === s.strategy && ids.has(r.problemId));
    assert.equal(rs.length, probs.length, `${group.label} ${s.name}: one result per problem`);
    assert.ok(close(s.value, avg(rs.map((r) => r.correct))), `${group.label} ${s.name} accuracy`);
    assert.ok(
      close(s.tokensPerProblem!, avg(rs.map((r) => r.tokens)), 0.01),
      `${group.label} ${s.name} tokens`,
    );
    assert.ok(close(s.samplesPerProblem!, avg(rs.map((r) => r.candidates)), 1e-4));
  }
}
