/**
 * End-to-end tests of `deliberate eval` on the embedded model's arith task, run as child processes:
 * a run killed with SIGKILL and resumed equals a run that was never killed; the arith task shows real
 * accuracy; the compute figures follow metrics/flops.ts from the stored tokens and the GGUF's shape.
 * The later tests read the reference run that the first one writes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { problemCost, sequenceCost } from "../../src/eval/metrics/index.js";
import type { EvalSummary, GroupSummary, MetricRow } from "../../src/eval/summary.js";
import { runEval, startEval } from "./eval-cli-process.js";
import { completedIn, dump, type StoreDump, storedCompute } from "./eval-cli-store.js";

const N = 4;
// 3 problems per level × 8 levels: enough to kill a run midway and to see greedy's accuracy.
const PROBLEMS = 24;
const ARITH_ARGS = [
  "--dataset",
  "arith:test:3",
  "--samples",
  String(N),
  "--strategy",
  "greedy",
  "--seed",
  "7",
];

describe("deliberate eval (embedded model)", { timeout: 240_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), "deliberate-eval-"));
  let reference: StoreDump | undefined;
  let referenceSummary: EvalSummary | undefined;

  test("a run that was never killed", async () => {
    const out = join(base, "reference");
    const { stdout, stderr } = await runEval([...ARITH_ARGS, "--out", out, "--json"]);
    assert.doesNotMatch(stderr, /note: the embedded default model/, "arithmetic problems get no note");
    referenceSummary = JSON.parse(stdout) as EvalSummary;
    assert.deepEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")), referenceSummary);
    reference = dump(join(out, "run.sqlite"));
    assert.equal(reference.problems.length, PROBLEMS);
    assert.equal(reference.samples.length, PROBLEMS * N);
    assert.equal(referenceSummary.problems.completed, PROBLEMS);
    assert.deepEqual(referenceSummary.ks, [1, 2, 4]);
    assert.deepEqual(
      referenceSummary.groups.map((g) => g.label),
      ["level 1", "level 2", "level 3", "level 4", "level 5", "level 6", "level 7", "level 8", "all"],
    );
    const all = referenceSummary.groups.at(-1)!;
    assert.deepEqual(
      all.metrics.map((m) => m.name),
      ["greedy", "pass@1", "maj@2", "maj@4", "coverage@2", "coverage@4"],
    );
    for (const m of all.metrics) {
      assert.ok(
        m.value >= 0 && m.value <= 1 && m.ci[0] <= m.value + 1e-9 && m.value <= m.ci[1] + 1e-9,
        m.name,
      );
    }
    const cov = (k: number) => all.metrics.find((m) => m.name === `coverage@${k}`)!.value;
    assert.ok(cov(2) <= cov(4) + 1e-12, "coverage grows with k");
  });

  test("compute per problem: FLOPs from the stored tokens and the GGUF shape of the embedded model", (t) => {
    const summary = referenceSummary;
    assert.ok(summary, "the reference run must run first");
    const shape = summary.cost.shape;
    assert.ok(shape, "the embedded model's shape is recorded");
    assert.equal(shape.source, "gguf");
    assert.deepEqual([shape.params, shape.layers, shape.dModel, shape.kvDim], [1_076_096, 5, 128, 128]);
    assert.deepEqual([summary.cost.intensity, summary.cost.batchSize], [295, 1]);
    const stored = storedCompute(join(base, "reference", "run.sqlite"));
    assert.equal(stored.length, PROBLEMS);
    const options = { batchSize: 1, intensity: 295 };
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const check = (group: GroupSummary, problems: typeof stored) => {
      const row = (name: string) => group.metrics.find((m) => m.name === name)!.compute!;
      // greedy: one sequence per problem, its prompt and generated tokens as the usage says.
      for (const p of problems)
        assert.deepEqual(p.greedy, [
          { promptTokens: p.usage.promptTokens, generatedTokens: p.usage.completionTokens },
        ]);
      const greedy = problems.map((p) => problemCost(shape, p.greedy, options));
      assert.equal(
        row("greedy").flops,
        Math.round(avg(greedy.map((c) => c.flops))),
        `${group.label} greedy flops`,
      );
      assert.equal(row("greedy").bytes, Math.round(avg(greedy.map((c) => c.bytes))));
      assert.equal(row("greedy").eflops, Math.round(avg(greedy.map((c) => c.eflops))));
      assert.equal(row("greedy").calls, 1);
      assert.equal(
        row("greedy").promptTokens,
        Math.round(avg(problems.map((p) => p.usage.promptTokens)) * 100) / 100,
      );
      // Pool metrics at k cost k mean samples.
      const sample = avg(problems.map((p) => avg(p.pool.map((q) => sequenceCost(shape, q, options).flops))));
      assert.equal(row("pass@1").flops, Math.round(sample), `${group.label} pass@1 flops`);
      for (const name of ["maj@2", "coverage@2"]) assert.equal(row(name).flops, Math.round(2 * sample));
      for (const name of ["maj@4", "coverage@4"]) assert.equal(row(name).flops, Math.round(4 * sample));
    };
    check(summary.groups.at(-1)!, stored);
    check(
      summary.groups[0]!,
      stored.filter((p) => p.level === 1),
    );
    const all = summary.groups.at(-1)!;
    const greedy = all.metrics[0]!.compute!;
    t.diagnostic(
      `arith:test:3, all ${PROBLEMS} problems: greedy ${greedy.promptTokens} prompt + ${greedy.generatedTokens} generated tokens, ` +
        `${greedy.flops} FLOPs, ${greedy.bytes} bytes, ${greedy.eflops} eFLOPs per problem; ` +
        `pool sample ${all.metrics[1]!.compute!.flops} FLOPs`,
    );
  });

  test("kill -9 mid-run, then --resume: no lost and no duplicated samples", async (t) => {
    const out = join(base, "killed");
    const file = join(out, "run.sqlite");
    const { child, done } = startEval([...ARITH_ARGS, "--out", out]);
    let seen = 0;
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      seen = completedIn(file);
      if (seen >= 5 || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(child.exitCode, null, "the run ended before it could be killed");
    child.kill("SIGKILL");
    const killed = await done;
    assert.equal(killed.signal, "SIGKILL");
    const partial = dump(file);
    const completedAtKill = partial.problems.filter((p) => p.samples > 0).length;
    assert.ok(completedAtKill >= 5 && completedAtKill < PROBLEMS, `killed after ${completedAtKill} problems`);
    t.diagnostic(`killed with SIGKILL after ${completedAtKill}/${PROBLEMS} problems were stored`);
    // Every problem is all-or-nothing: N samples and 1 result, or none.
    for (const p of partial.problems)
      assert.ok((p.samples === N && p.results === 1) || (p.samples === 0 && p.results === 0));

    const { stderr } = await runEval(["--resume", "--out", out, "--json"]);
    assert.match(stderr, /already done/);
    const resumed = dump(file);
    for (const p of resumed.problems) {
      assert.equal(p.samples, N, `${p.id} has ${p.samples} samples`);
      assert.equal(p.results, 1, `${p.id} has ${p.results} results`);
    }
    assert.ok(reference, "the reference run must run first");
    assert.equal(resumed.samples.length, reference.samples.length);
    assert.equal(resumed.results.length, reference.results.length);
    assert.deepEqual(
      resumed.samples.map((s) => [s.key, s.seed]),
      reference.samples.map((s) => [s.key, s.seed]),
    );
    assert.deepEqual(
      resumed.results.map((r) => r.key),
      reference.results.map((r) => r.key),
    );
    // Same seeds, but not always the same text: llama.cpp's logits depend slightly on what is batched
    // together and on which cached prefix a sequence reuses, so a few samples differ between runs.
    const same = resumed.samples.filter((s, i) => s.text === reference!.samples[i]!.text).length;
    t.diagnostic(`identical sample texts vs the reference run: ${same}/${resumed.samples.length}`);
  });

  test("--resume refuses flags that contradict the stored run", async () => {
    const { code, stderr } = await startEval(["--resume", "--out", join(base, "reference"), "--samples", "8"])
      .done;
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^error: --resume uses the run's stored configuration, which differs in --samples \(run: 4\)/m,
    );
  });

  test("arith shows real accuracy with greedy at levels 1-2", () => {
    const summary: EvalSummary | undefined = referenceSummary;
    assert.ok(summary, "the reference run must run first");
    const greedyAt = (level: number): number => {
      const group: GroupSummary = summary.groups.find((g) => g.level === level)!;
      return group.metrics.find((m: MetricRow) => m.name === "greedy")!.value;
    };
    // Levels 1 and 2 have the same number of problems: the plain mean is the accuracy over both.
    const accuracy = (greedyAt(1) + greedyAt(2)) / 2;
    assert.ok(
      accuracy > 0.3,
      `greedy accuracy at levels 1-2 is ${accuracy} (level 1: ${greedyAt(1)}, level 2: ${greedyAt(2)})`,
    );
  });
});
