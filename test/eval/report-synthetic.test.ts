/**
 * `deliberate report` on the synthetic store of report-synthetic-run.ts: a scored pool gives
 * best-of-n and weighted-majority curves, a strategy spec needs CSV quoting, an unfinished problem is
 * left out, and a run without a model shape has no FLOPs until `--model-shape` gives one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { type ReportData, writeReport } from "../../src/eval/report/index.js";
import { runCli } from "../helpers/cli.js";
import { assertCsvMatchesJson, assertGroupMatchesStore, csvRecords, storeFacts } from "./report-checks.js";
import { writeSyntheticRun } from "./report-synthetic-run.js";

const tmp = mkdtempSync(join(tmpdir(), "deliberate-report-"));
const synthRun = join(tmp, "synthetic");

describe("deliberate report", () => {
  before(() => {
    writeSyntheticRun(synthRun);
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
});
