/**
 * `deliberate report --policy`: the allocation frontier (fixed strategies, the tuned policy, the
 * oracle ceiling) in report.json, report.csv and a drawn plot; a foreign policy is refused.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PolicyMismatchError, writePolicy } from "../../src/allocation/policy.js";
import { tunePolicy } from "../../src/allocation/tune.js";
import { plotNames, writeReport } from "../../src/eval/report/index.js";
import { runCli } from "../helpers/cli.js";
import { handBuiltRun } from "./fixtures.js";

const CHROMIUM = "/usr/bin/chromium";

describe("report allocation frontier", () => {
  const dir = handBuiltRun();
  const policyFile = join(dir, "policy.json");
  writePolicy(policyFile, tunePolicy([dir], { budgetTokens: 30, warmup: 2 }));

  test("the tuned policy sits beside every fixed strategy on the same problems, with the oracle ceiling", () => {
    const report = writeReport(dir, { policies: [policyFile], resamples: 200 });
    const frontier = report.data.frontier!;
    assert.equal(frontier.problems, 6);
    const byName = new Map(frontier.points.map((p) => [p.name.replace(/,temperature.*/, ""), p]));
    // Fixed: sc over the pool's first 1, 2, 3, 4 samples (10 tokens each) and the stored greedy.
    assert.deepEqual(
      [...byName.keys()].filter((n) => !n.includes("·")),
      [
        "self-consistency:n=1",
        "greedy",
        "self-consistency:n=2",
        "self-consistency:n=3",
        "self-consistency:n=4",
      ],
    );
    assert.equal(byName.get("self-consistency:n=4")!.accuracy, 1);
    assert.equal(byName.get("self-consistency:n=4")!.tokens, 40);
    assert.equal(byName.get("greedy")!.accuracy, 0.5);
    assert.equal(
      byName.get("self-consistency:n=2")!.accuracy,
      0.5,
      "the hard warm-ups tie on a wrong answer",
    );
    const policy = byName.get("auto · policy.json")!;
    assert.equal(policy.kind, "policy");
    assert.equal(policy.accuracy, 1);
    assert.equal(policy.tokens, 30, "sc:n=4's accuracy at 75% of its tokens");
    assert.equal(
      Object.values(policy.choices!).reduce((a, b) => a + b),
      6,
    );
    assert.equal(byName.get("oracle ceiling · policy.json")!.kind, "oracle");
    assert.ok(plotNames(report.data).includes("frontier"));
    const csv = readFileSync(report.files.csv, "utf8");
    assert.match(csv, /\nall,,6,allocation-policy,allocation,auto · policy\.json,,30,/);
    assert.equal(csv.match(/,allocation-fixed,/g)?.length, 5);
  });

  test("a policy of another task is refused in one line", () => {
    const foreign = JSON.parse(readFileSync(policyFile, "utf8"));
    foreign.fingerprint.task = "gsm8k";
    const file = join(dir, "foreign.json");
    writeFileSync(file, JSON.stringify(foreign));
    assert.throws(() => writeReport(dir, { policies: [file] }), PolicyMismatchError);
    const result = runCli(["report", dir, "--policy", file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: policy .*foreign\.json was fitted for model arith-policy\.gguf .* on task gsm8k, not for model arith-policy\.gguf .* on task arith/,
    );
  });

  test("the frontier plot is drawn in headless Chromium with no errors", async () => {
    if (!existsSync(CHROMIUM)) {
      assert.fail(`${CHROMIUM} is missing: run \`apt-get install chromium\` (Debian) to run the report test`);
    }
    const report = writeReport(dir, { policies: [policyFile], resamples: 200 });
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`file://${report.files.html}`);
      await page.waitForSelector("html[data-rendered]", { timeout: 20_000 });
      assert.equal(await page.getAttribute("html", "data-rendered"), String(report.plots.length));
      const marks = await page.$eval('[data-plot="frontier"]', (el) => {
        const svg = [...el.querySelectorAll("svg")].sort(
          (a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width,
        )[0];
        return svg ? svg.querySelectorAll('g[aria-label="dot"] path, g[aria-label="dot"] circle').length : 0;
      });
      assert.equal(marks, report.data.frontier!.points.length, "one mark per point");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
