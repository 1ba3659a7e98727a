/**
 * End-to-end tests of `deliberate eval` beyond the arith task, run as child processes: GSM8K runs
 * through the whole pipeline; a server model of unknown shape has null compute figures until
 * `--model-shape` gives one; bad datasets, scorers and resumes fail with one clear line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type ModelShape, problemCost } from "../../src/eval/metrics/index.js";
import type { EvalSummary } from "../../src/eval/summary.js";
import { loadPolicy } from "../helpers/models.js";
import { startTestServer } from "../server/setup.js";
import { runEval, startEval } from "./eval-cli-process.js";
import { dump, storedCompute } from "./eval-cli-store.js";

describe("deliberate eval (embedded model)", { timeout: 240_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), "deliberate-eval-"));

  test("gsm8k:test:5 with sc:n=4 runs end to end", async () => {
    const out = join(base, "gsm8k");
    const { stdout, stderr } = await runEval([
      "--dataset",
      "gsm8k:test:5",
      "--strategy",
      "sc:n=4",
      "--max-tokens",
      "64",
      "--out",
      out,
    ]);
    assert.match(stdout, /gsm8k:test:5 · 5\/5 problems/);
    // The embedded model only does arithmetic: said once, with the count of other problems.
    assert.deepEqual(stderr.match(/^note: .*$/gm), [
      "note: the embedded default model only does the arithmetic task (questions like 57+38-19+44); " +
        "5 of 5 problems are not, so its answers mean nothing — pass --model or --base-url for other questions",
    ]);
    assert.match(stdout, /sc:n=4\s+\d\.\d{3}\s+\[\d\.\d{3}, \d\.\d{3}\]/);
    const d = dump(join(out, "run.sqlite"));
    assert.equal(d.results.length, 5);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as EvalSummary;
    assert.equal(summary.grading, "math");
    assert.equal(summary.groups.length, 1);
    const sc = summary.groups[0]!.metrics[0]!;
    assert.equal(sc.name, "sc:n=4");
    assert.ok(sc.tokensPerProblem! > 0 && sc.tokensPerProblem! <= 4 * 64 + 4);
  });

  test("a server model has no shape: FLOPs are null, until --model-shape gives one", async () => {
    const policy = await loadPolicy(4);
    const server = await startTestServer(policy);
    try {
      const out = join(base, "server");
      const args = [
        "--dataset",
        "arith:test:1",
        "--where",
        "level=1",
        "--samples",
        "2",
        "--strategy",
        "greedy",
      ];
      const server_ = ["--base-url", `${server.url}/v1`, "--model", "tiny", "--max-tokens", "32", "--json"];
      const { stdout, stderr } = await runEval([...args, ...server_, "--out", out]);
      assert.match(stderr, /the model's shape is unknown: FLOPs and eFLOPs are not reported/);
      const summary = JSON.parse(stdout) as EvalSummary;
      assert.equal(summary.cost.shape, null);
      for (const m of summary.groups.at(-1)!.metrics) {
        assert.ok(m.compute!.generatedTokens > 0, m.name);
        assert.deepEqual([m.compute!.flops, m.compute!.bytes, m.compute!.eflops], [null, null, null], m.name);
      }
      // Given on resume, the shape is stored and priced.
      const shape: ModelShape = { params: 1_076_096, layers: 5, dModel: 128, kvDim: 128, bytesPerParam: 2 };
      const text = "params=1076096,layers=5,dModel=128,kvDim=128,bytesPerParam=2";
      const resumed = JSON.parse(
        (await runEval(["--resume", "--out", out, "--json", "--model-shape", text])).stdout,
      ) as EvalSummary;
      assert.deepEqual(resumed.cost.shape, { ...shape, source: "user" });
      const [p] = storedCompute(join(out, "run.sqlite"));
      const flops = problemCost(shape, p!.greedy, { batchSize: 1, intensity: 295 }).flops;
      assert.equal(resumed.groups.at(-1)!.metrics[0]!.compute!.flops, Math.round(flops));
    } finally {
      await server.close();
      await policy.close();
    }
  });

  test("unknown datasets, a missing scorer and a missing run to resume fail with one clear line", async () => {
    const { code, stderr } = await startEval(["--dataset", "nope:test", "--strategy", "greedy"]).done;
    assert.equal(code, 1);
    assert.match(stderr, /^error: unknown dataset "nope" — valid: gsm8k:test, .*arith:test/m);
    // A server model gets no default scorer; only the strategy that needs one is named.
    const unscored = await startEval([
      "--dataset",
      "arith:test:1",
      "--strategy",
      "greedy",
      "--strategy",
      "bon:n=2",
      "--base-url",
      "http://127.0.0.1:1/v1",
      "--model",
      "m",
      "--out",
      join(base, "unscored"),
    ]).done;
    assert.equal(unscored.code, 1);
    assert.match(unscored.stderr, /^error: strategy bon:n=2 needs a scorer — pass --scorer SPEC$/m);
    const resume = await startEval(["--resume", "--out", join(base, "no-run-here")]).done;
    assert.equal(resume.code, 1);
    assert.match(
      resume.stderr,
      /^error: no run to resume in .*no-run-here .* — drop --resume to start a new run there$/m,
    );
  });
});
