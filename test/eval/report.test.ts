/**
 * `deliberate report`: report.json and report.csv agree with the run store, and report.html draws
 * every plot in headless Chromium with no console or page errors and no network requests.
 *
 * Two runs: a real one (`deliberate eval` on the embedded model: arith, 8 levels, a pool and greedy;
 * its GGUF shape gives FLOPs and the accuracy-vs-FLOPs plot) and a synthetic store with a scored pool
 * (best-of-n and weighted-majority curves), a strategy spec that needs CSV quoting, an unfinished
 * problem and no model shape (no FLOPs, no FLOPs plot).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import type { Browser } from "playwright-core";
import { emptyUsage } from "../../src/core/usage.js";
import type { EvalProblem } from "../../src/eval/datasets/index.js";
import { fitCoveragePowerLaw, passAtK } from "../../src/eval/metrics/index.js";
import {
  CSV_COLUMNS,
  plotNames,
  type ReportData,
  type ReportGroup,
  writeReport,
} from "../../src/eval/report/index.js";
import type { EvalConfig } from "../../src/eval/runner.js";
import { type ResultRecord, RunStore, type SampleRecord } from "../../src/eval/store.js";
import type { EvalSummary } from "../../src/eval/summary.js";
import { runCli } from "../helpers/cli.js";

const CHROMIUM = "/usr/bin/chromium";
/**
 * Without Chromium the browser test is skipped with this reason on its own line, except under CI
 * (which sets `CI`), where a missing browser is a failure: CI installs it, so it must not go unseen.
 */
const browserMissing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install it (Debian: apt-get install chromium) to run the browser test`;
const skipBrowser = browserMissing !== undefined && !process.env.CI ? browserMissing : false;
const tmp = mkdtempSync(join(tmpdir(), "deliberate-report-"));
const realRun = join(tmp, "arith");
const synthRun = join(tmp, "synthetic");

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

function csvRecords(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(readFileSync(file, "utf8"));
  assert.deepEqual(header, [...CSV_COLUMNS]);
  return rows.map((r) => {
    assert.equal(r.length, CSV_COLUMNS.length, `row ${r.join(",")}`);
    return Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]!]));
  });
}

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;

/** Every point of report.json has its CSV row with the same numbers. */
function assertCsvMatchesJson(data: ReportData, rows: Record<string, string>[]): void {
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

interface StoreFacts {
  problems: { id: string; level: number | null; n: number; c: number; poolTokens: number }[];
  results: { problemId: string; strategy: string; correct: number; tokens: number; candidates: number }[];
}

/** The raw rows of a store, read with SQL, independent of the report code. */
function storeFacts(dir: string): StoreFacts {
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
function assertGroupMatchesStore(
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

/** Builds a store by hand: 2 levels × 3 problems, scored pool of 4, one strategy, last problem unfinished. */
function writeSyntheticRun(dir: string): void {
  const strategy = {
    spec: "sc:n=2,temperature=0.8",
    canonical: "self-consistency:n=2,temperature=0.8,topP=1,topK=0",
  };
  const config: EvalConfig = {
    version: 1,
    dataset: "file:synthetic.jsonl",
    where: [],
    grading: "math",
    strategies: [strategy],
    samples: 4,
    temperature: 0.8,
    topP: 1,
    maxTokens: 64,
    seed: 5,
    model: { source: "embedded" },
    scorer: "prm",
    raw: false,
  };
  const problems: EvalProblem[] = [];
  for (let i = 0; i < 6; i++) {
    problems.push({ id: `q${i}`, prompt: `question ${i}`, gold: String(i), level: 1 + (i % 2), meta: {} });
  }
  const store = RunStore.create(dir, config, problems);
  try {
    problems.slice(0, 5).forEach((p, i) => {
      const samples: SampleRecord[] = [0, 1, 2, 3].map((j) => {
        const correct = (i + j) % 3 === 0;
        return {
          problemId: p.id,
          poolIndex: j,
          seed: 10 * i + j,
          params: { n: 4 },
          prompt: p.prompt,
          text: `answer ${correct ? p.gold : j + 10}`,
          finishReason: "stop",
          completionTokens: 20 + 5 * j + i,
          promptTokens: 8,
          answer: correct ? p.gold : String(j + 10),
          correct,
          score: correct ? 0.6 + 0.05 * j : 0.3 + 0.1 * j,
        };
      });
      const result: ResultRecord = {
        problemId: p.id,
        strategy: strategy.canonical,
        answer: p.gold,
        correct: i % 2 === 0,
        output: "…",
        usage: { ...emptyUsage(), completionTokens: 45 + i, calls: 1 },
        scorerUsage: emptyUsage(),
        candidates: 2,
        stopReason: "completed",
      };
      store.writeProblem(p.id, samples, [result]);
    });
  } finally {
    store.close();
  }
}

describe("deliberate report", () => {
  let browser: Browser | undefined;

  before(() => {
    const { code, stderr } = runCli([
      "eval",
      "--dataset",
      "arith:test:1",
      "--samples",
      "4",
      "--strategy",
      "greedy",
      "--max-tokens",
      "64",
      "--seed",
      "3",
      "--out",
      realRun,
    ]);
    assert.equal(code, 0, `deliberate eval failed:\n${stderr}`);
    writeSyntheticRun(synthRun);
  });

  after(async () => {
    await browser?.close();
  });

  test("writes report.html, report.json and report.csv that agree with the store", () => {
    const { code, stdout, stderr } = runCli(["report", realRun]);
    assert.equal(code, 0, stderr);
    const files = ["report.html", "report.json", "report.csv"].map((f) => join(realRun, f));
    assert.deepEqual(stdout.trim().split("\n"), files);
    for (const f of files) assert.ok(existsSync(f), f);
    assert.match(stderr, /12 plots/);

    const data = JSON.parse(readFileSync(files[1]!, "utf8")) as ReportData;
    const facts = storeFacts(realRun);
    assert.equal(data.run.dataset, "arith:test:1");
    assert.deepEqual(data.run.problems, { total: 8, completed: 8 });
    assert.deepEqual(data.run.ks, [1, 2, 4]);
    assert.equal(data.run.model.id, "arith-policy.gguf", "model id from summary.json");
    // 8 levels of one problem each, then all problems.
    assert.deepEqual(
      data.groups.map((g) => g.level),
      [1, 2, 3, 4, 5, 6, 7, 8, null],
    );
    for (const g of data.groups) assertGroupMatchesStore(g, facts, 4, [1, 2, 4]);

    // The same numbers as the summary `deliberate eval` wrote (same seeded bootstrap).
    const summary = JSON.parse(readFileSync(join(realRun, "summary.json"), "utf8")) as EvalSummary;
    for (const [i, g] of summary.groups.entries()) {
      const rg = data.groups[i]!;
      for (const m of g.metrics) {
        const p = [...rg.points, ...rg.coverage].find((x) => x.name === m.name);
        assert.ok(p, `${g.label} ${m.name}`);
        assert.equal(p.value, m.value);
        assert.deepEqual(p.ci, m.ci);
        assert.deepEqual(p.compute, m.compute);
        assert.equal(p.tokensPerProblem, m.tokensPerProblem);
      }
    }
    // FLOPs from the GGUF shape, on every point; a pool method at k costs k samples.
    assert.equal(data.run.cost.shape?.source, "gguf");
    assert.equal(data.run.cost.shape?.params, 1_076_096);
    for (const g of data.groups) {
      for (const p of [...g.points, ...g.coverage]) assert.ok(p.compute!.flops! > 0, `${g.label} ${p.name}`);
      const one = g.coverage[0]!.compute!.flops!;
      for (const p of g.coverage)
        assert.ok(Math.abs(p.compute!.flops! - p.k! * one) <= p.k!, `${g.label} ${p.name}`);
    }
    // Matched budget: greedy costs about one pool sample, so it reads the majority curve near k = 1.
    const all = data.groups.at(-1)!;
    assert.equal(all.matched.length, 1);
    assert.equal(all.matched[0]!.strategy, "greedy");
    assert.equal(all.matched[0]!.pool[0]!.series, "majority");

    assertCsvMatchesJson(data, csvRecords(files[2]!));
    assert.deepEqual(plotNames(data), [
      "budget",
      "compute",
      "coverage",
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((l) => `budget-level-${l}`),
      "coverage-levels",
    ]);
  });

  test("a scored pool gives best-of-n and weighted-majority curves; CSV quotes specs; unfinished problems are left out", () => {
    const report = writeReport(synthRun, { resamples: 200, now: new Date("2025-01-01T00:00:00Z") });
    const data = report.data;
    assert.deepEqual(data.run.problems, { total: 6, completed: 5 });
    assert.equal(data.generatedAt, "2025-01-01T00:00:00.000Z");
    const facts = storeFacts(synthRun);
    assert.equal(facts.problems.length, 5);
    for (const g of data.groups) assertGroupMatchesStore(g, facts, 4, [1, 2, 4]);
    const all = data.groups.at(-1)!;
    for (const series of ["majority", "best-of-n", "weighted-majority"]) {
      const ks = all.points.filter((p) => p.kind === series).map((p) => p.k);
      assert.deepEqual(ks, [1, 2, 4], series);
    }
    // The strategy costs 47 tokens/problem, between k = 1 and k = 2 of the pool: an interpolated reading.
    const m = all.matched[0]!;
    assert.equal(m.strategy, "sc:n=2,temperature=0.8");
    assert.equal(m.pool.length, 3);
    for (const v of m.pool) {
      const curve = all.points.filter((p) => p.kind === v.series);
      const [lo, hi] = [curve[0]!, curve[1]!];
      assert.ok(lo.tokensPerProblem! < m.tokensPerProblem && m.tokensPerProblem < hi.tokensPerProblem!);
      assert.ok(v.value !== null && v.value >= Math.min(lo.value, hi.value) - 1e-9);
      assert.ok(v.value <= Math.max(lo.value, hi.value) + 1e-9);
      assert.ok(v.k! > 1 && v.k! < 2);
    }
    const csv = readFileSync(report.files.csv, "utf8");
    assert.match(csv, /,strategy,"sc:n=2,temperature=0\.8","sc:n=2,temperature=0\.8",/);
    assertCsvMatchesJson(data, csvRecords(report.files.csv));
    assert.deepEqual(report.plots, [
      "budget",
      "coverage",
      "budget-level-1",
      "budget-level-2",
      "coverage-levels",
    ]);
    const html = readFileSync(report.files.html, "utf8");
    assert.match(html, /Incomplete run/);
    // No model shape: every cost figure is null and the page says why there is no FLOPs plot.
    assert.equal(data.run.cost.shape, null);
    for (const p of [...all.points, ...all.coverage]) {
      assert.deepEqual([p.compute!.flops, p.compute!.bytes, p.compute!.eflops], [null, null, null]);
      assert.ok(p.compute!.generatedTokens > 0);
    }
    assert.match(html, /No FLOPs: the model's shape is unknown/);
  });

  test("--model-shape prices a run that has no shape, for that report", () => {
    const dir = join(tmp, "synthetic-shape");
    writeSyntheticRun(dir);
    const shape = "params=1e6,layers=4,dModel=64,kvDim=32,bytesPerParam=2";
    const { code, stderr } = runCli(["report", dir, "--resamples", "200", "--model-shape", shape]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /6 plots/);
    const data = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as ReportData;
    assert.deepEqual(data.run.cost.shape, {
      params: 1e6,
      layers: 4,
      dModel: 64,
      kvDim: 32,
      bytesPerParam: 2,
      source: "user",
    });
    const pass1 = data.groups.at(-1)!.coverage[0]!;
    const facts = storeFacts(dir);
    // Problem i's sample j has 8 prompt and 20 + 5j + i generated tokens.
    const perSample = facts.problems.map((_, i) => {
      const flops = [0, 1, 2, 3].map((j) => {
        const t = 8 + 20 + 5 * j + i;
        return 2 * 1e6 * t + 4 * 64 * t * (t + 1);
      });
      return flops.reduce((a, b) => a + b, 0) / 4;
    });
    assert.equal(pass1.compute!.flops, Math.round(perSample.reduce((a, b) => a + b, 0) / perSample.length));
    // Strategy results of the synthetic run recorded no sequences: their FLOPs stay null.
    assert.equal(data.groups.at(-1)!.points[0]!.compute!.flops, null);
    const bad = runCli(["report", dir, "--model-shape", "params=1e6"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /lacks layers, dModel, kvDim, bytesPerParam/);
  });

  test("report.html draws every plot in headless Chromium, with no errors and no network", {
    skip: skipBrowser,
  }, async (t) => {
    if (browserMissing !== undefined) assert.fail(`${browserMissing} (CI=${process.env.CI})`);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    for (const dir of [realRun, synthRun]) {
      await t.test(dir === realRun ? "arith run" : "synthetic scored run", async () => {
        // Written by the tests above; written here when this test runs alone.
        if (!existsSync(join(dir, "report.html"))) writeReport(dir);
        const data = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as ReportData;
        const expected = plotNames(data);
        const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
        const problems: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning")
            problems.push(`console.${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        page.on("request", (r) => {
          if (!r.url().startsWith("file:")) problems.push(`network request: ${r.url()}`);
        });
        await page.goto(`file://${join(dir, "report.html")}`);
        await page.waitForSelector("html[data-rendered]", { timeout: 20_000 });
        assert.equal(await page.getAttribute("html", "data-rendered"), String(expected.length));
        const plots = await page.$$eval("[data-plot]", (els) =>
          els.map((el) => {
            // The plot's own svg is the largest one (legend swatches are small svgs too).
            const svgs = [...el.querySelectorAll("svg")].map((svg) => ({
              svg,
              box: svg.getBoundingClientRect(),
            }));
            svgs.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
            const main = svgs[0];
            return {
              name: el.getAttribute("data-plot") ?? "",
              width: main?.box.width ?? 0,
              height: main?.box.height ?? 0,
              dots: main ? main.svg.querySelectorAll("circle, path[d]").length : 0,
              lines: main ? main.svg.querySelectorAll('g[aria-label="line"] path').length : 0,
            };
          }),
        );
        assert.deepEqual(
          plots.map((p) => p.name),
          expected,
        );
        for (const p of plots) {
          assert.ok(p.width >= 200 && p.height >= 150, `${p.name}: ${p.width}×${p.height}`);
          assert.ok(p.dots > 0, `${p.name} has marks`);
        }
        // The pool curve(s) of the main plot and the fitted coverage law are drawn as lines.
        assert.ok(plots.find((p) => p.name === "budget")!.lines >= 1);
        if (data.groups.at(-1)!.coverageFit) assert.ok(plots.find((p) => p.name === "coverage")!.lines >= 1);
        // Accuracy vs FLOPs, and vs eFLOPs on the other choice, on a log axis.
        if (expected.includes("compute")) {
          const text = () => page.$eval('[data-plot="compute"]', (el) => el.textContent ?? "");
          assert.match(await text(), /FLOPs per problem/);
          assert.ok(plots.find((p) => p.name === "compute")!.lines >= 1, "pool curve on the FLOPs plot");
          // The pool costs k × one sample at k = 1, 2, 4: equally spaced on a log axis.
          const xs = await page.$$eval('[data-plot="compute"] svg circle', (els) =>
            els.map((el) => Number(el.getAttribute("cx"))).sort((a, b) => a - b),
          );
          assert.equal(xs.length, 3, `pool dots at ${xs.join(", ")}`);
          assert.ok(Math.abs(xs[1]! - xs[0]! - (xs[2]! - xs[1]!)) < 1, `log spacing: ${xs.join(", ")}`);
          await page.selectOption("#cost-view", "eflops");
          assert.match(await text(), /eFLOPs per problem/);
        } else {
          assert.equal(await page.$("#cost-view"), null);
        }
        // The other x axis redraws the accuracy plots.
        await page.selectOption("#x-view", "samples");
        const budgetSvg = await page.$eval('[data-plot="budget"]', (el) =>
          el.textContent?.includes("samples per problem"),
        );
        assert.ok(budgetSvg, "x axis switched to samples per problem");
        assert.deepEqual(problems, []);
        await page.close();
      });
    }
  });

  test("a directory without a run is refused with a clear message", () => {
    const { code, stderr } = runCli(["report", tmp]);
    assert.equal(code, 1);
    assert.match(stderr, /is not a run directory \(run\.sqlite is missing\)/);
  });
});
