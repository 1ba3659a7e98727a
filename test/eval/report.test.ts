/**
 * `deliberate report` on a real run (`deliberate eval` on the embedded model: arith, 8 levels, a pool
 * and greedy; its GGUF shape gives FLOPs and the accuracy-vs-FLOPs plot): report.json and report.csv
 * agree with the run store, and report.html draws every plot in headless Chromium with no console or
 * page errors and no network requests, for that run and for the synthetic scored run of
 * report-synthetic-run.ts (no model shape: no FLOPs plot).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { plotNames, type ReportData, writeReport } from "../../src/eval/report/index.js";
import type { EvalSummary } from "../../src/eval/summary.js";
import { runCli } from "../helpers/cli.js";
import { assertCsvMatchesJson, assertGroupMatchesStore, csvRecords, storeFacts } from "./report-checks.js";
import { writeSyntheticRun } from "./report-synthetic-run.js";

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
        // The arith run's report is written by the first test (here when this test runs alone); the
        // synthetic run's always here.
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
