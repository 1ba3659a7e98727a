import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { emptyUsage } from "../../src/core/usage.js";
import { type ModelShape, problemCost, sequenceCost } from "../../src/eval/metrics/index.js";
import { deriveSeed, type EvalConfig, modelPrompt } from "../../src/eval/runner.js";
import { RunStore, type SampleRecord } from "../../src/eval/store.js";
import { canonicalAnswers, formatSummary, poolKs, summarizeRun } from "../../src/eval/summary.js";

const config: EvalConfig = {
  version: 1,
  dataset: "arith:test:2",
  where: [],
  grading: "arith",
  strategies: [{ spec: "greedy", canonical: "greedy" }],
  samples: 4,
  temperature: 0.8,
  topP: 1,
  maxTokens: 64,
  seed: 3,
  model: { source: "embedded" },
  raw: false,
};

function pool(problemId: string, answers: (string | null)[], gold: string): SampleRecord[] {
  return answers.map((answer, i) => ({
    problemId,
    poolIndex: i,
    seed: i,
    params: {},
    prompt: "Q\n",
    text: answer === null ? "?" : `A:${answer}\n`,
    finishReason: "stop",
    completionTokens: 10,
    promptTokens: 2,
    answer,
    correct: answer === gold,
  }));
}

describe("summary", () => {
  test("poolKs: powers of two up to n, plus n", () => {
    assert.deepEqual(poolKs(8), [1, 2, 4, 8]);
    assert.deepEqual(poolKs(6), [1, 2, 4, 6]);
    assert.deepEqual(poolKs(1), [1]);
    assert.deepEqual(poolKs(0), []);
  });

  test("canonicalAnswers merges equivalent answers into the first one's text", () => {
    const eq = (a: string, b: string) => Number(a) === Number(b);
    assert.deepEqual(canonicalAnswers(["1.0", "1", null, "2", "1.00"], eq), ["1.0", "1.0", null, "2", "1.0"]);
    assert.deepEqual(canonicalAnswers(["1.0", "1"]), ["1.0", "1"]);
  });

  test("seeds and prompts", () => {
    assert.equal(deriveSeed(0, 1, "pool"), deriveSeed(0, 1, "pool"));
    assert.notEqual(deriveSeed(0, 1, "pool"), deriveSeed(0, 2, "pool"));
    assert.notEqual(deriveSeed(0, 1, "pool"), deriveSeed(1, 1, "pool"));
    assert.ok(deriveSeed(5, 5, "x") < 2 ** 30);
    const chat = {
      id: "a",
      prompt: { messages: [{ role: "user" as const, content: "hi" }] },
      gold: "1",
      meta: {},
    };
    assert.deepEqual(modelPrompt(chat, true, false), chat.prompt);
    assert.equal(modelPrompt(chat, false, false), "hi\n");
    assert.equal(modelPrompt({ ...chat, rawPrompt: "raw" }, true, true), "raw");
    assert.equal(modelPrompt({ ...chat, prompt: "Q:1+2\n" }, true, false), "Q:1+2\n");
  });

  test("per-level and overall metrics from the stored pools", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "deliberate-summary-")), "run");
    const problems = [
      { id: "a", prompt: "Q:1+1\n", gold: "2", level: 1, meta: {} },
      { id: "b", prompt: "Q:1+2\n", gold: "3", level: 1, meta: {} },
      { id: "c", prompt: "Q:1+2-1\n", gold: "2", level: 2, meta: {} },
    ];
    const store = RunStore.create(dir, config, problems);
    const result = (problemId: string, correct: boolean, tokens: number) => ({
      problemId,
      strategy: "greedy",
      answer: correct ? "x" : null,
      correct,
      output: "",
      usage: { ...emptyUsage(), completionTokens: tokens },
      scorerUsage: emptyUsage(),
      candidates: 1,
      stopReason: "completed",
    });
    store.writeProblem("a", pool("a", ["2", "2", "2", "2"], "2"), [result("a", true, 10)]);
    store.writeProblem("b", pool("b", ["3", "4", "4", null], "3"), [result("b", false, 20)]);
    store.writeProblem("c", pool("c", ["5", "5", "5", "5"], "2"), [result("c", true, 30)]);
    const summary = summarizeRun(store);
    store.close();
    assert.deepEqual(
      summary.groups.map((g) => [g.label, g.problems]),
      [
        ["level 1", 2],
        ["level 2", 1],
        ["all", 3],
      ],
    );
    const l1 = summary.groups[0]!;
    const get = (name: string) => l1.metrics.find((m) => m.name === name)!;
    assert.deepEqual(
      l1.metrics.map((m) => m.name),
      ["greedy", "pass@1", "maj@2", "maj@4", "coverage@2", "coverage@4"],
    );
    assert.equal(get("greedy").value, 0.5);
    assert.equal(get("greedy").tokensPerProblem, 15);
    // a: 4/4 correct, b: 1/4 correct.
    assert.equal(get("pass@1").value, (1 + 0.25) / 2);
    // Pool metrics at k are priced as k samples of 10 tokens (pass@1: one).
    assert.equal(get("pass@1").tokensPerProblem, 10);
    assert.equal(get("maj@2").tokensPerProblem, 20);
    assert.equal(get("coverage@4").tokensPerProblem, 40);
    // b: pass@2 = 1 - C(3,2)/C(4,2) = 0.5; pass@4 = 1.
    assert.equal(get("coverage@2").value, (1 + 0.5) / 2);
    assert.equal(get("coverage@4").value, 1);
    // b with all 4: "4" has 2 votes, "3" one: wrong.
    assert.equal(get("maj@4").value, 0.5);
    for (const m of l1.metrics) assert.ok(m.ci[0] <= m.value && m.value <= m.ci[1], m.name);
    const all = summary.groups[2]!;
    assert.equal(all.metrics.find((m) => m.name === "greedy")!.value, 0.666667);
    const text = formatSummary(summary);
    assert.match(text, /^arith:test:2 · 3\/3 problems · pool 4 samples\/problem \(T=0\.8\)/);
    assert.match(text, /level 1 · 2 problems/);
    assert.match(text, /overview \(accuracy\)/);
    assert.match(text, /coverage@4\s+1\.000\s+0\.000\s+0\.667/);
    assert.match(text, /cost: model shape unknown, no FLOPs/);
  });

  test("compute per problem: tokens and calls always, FLOPs from the model shape or null", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "deliberate-summary-")), "run");
    const problems = [
      { id: "a", prompt: "Q:1+1\n", gold: "2", level: 1, meta: {} },
      { id: "b", prompt: "Q:1+2\n", gold: "3", level: 2, meta: {} },
    ];
    const store = RunStore.create(dir, config, problems);
    // Greedy on a: one call of one sequence; on b: two calls (e.g. a retry), one scoring call.
    const seqA = [{ promptTokens: 5, generatedTokens: 12 }];
    const seqB = [
      { promptTokens: 6, generatedTokens: 8 },
      { promptTokens: 14, generatedTokens: 20 },
      { promptTokens: 34, generatedTokens: 0 },
    ];
    const result = (problemId: string, sequences: typeof seqA, promptTokens: number, calls: number) => ({
      problemId,
      strategy: "greedy",
      answer: null,
      correct: false,
      output: "",
      usage: {
        ...emptyUsage(),
        promptTokens,
        completionTokens: sequences.reduce((s, q) => s + q.generatedTokens, 0),
        calls,
      },
      scorerUsage: emptyUsage(),
      candidates: 1,
      stopReason: "completed",
      sequences,
    });
    const poolA = pool("a", ["2", "2", "2", "2"], "2").map((x, i) => ({ ...x, completionTokens: 10 + i }));
    const poolB = pool("b", ["3", "1", "1", "1"], "3").map((x, i) => ({
      ...x,
      promptTokens: 4,
      completionTokens: 20 + 2 * i,
    }));
    store.writeProblem("a", poolA, [result("a", seqA, 5, 1)]);
    store.writeProblem("b", poolB, [result("b", seqB, 54, 3)]);

    const none = summarizeRun(store, { resamples: 50 });
    assert.equal(none.cost.shape, null);
    const noneAll = none.groups.at(-1)!;
    for (const m of noneAll.metrics) {
      assert.equal(m.compute!.flops, null, m.name);
      assert.equal(m.compute!.bytes, null, m.name);
      assert.equal(m.compute!.eflops, null, m.name);
    }
    const greedyNone = noneAll.metrics[0]!.compute!;
    assert.deepEqual([greedyNone.promptTokens, greedyNone.generatedTokens, greedyNone.calls], [29.5, 20, 2]);

    const shape: ModelShape = { params: 1_000_000, layers: 4, dModel: 64, kvDim: 32, bytesPerParam: 2 };
    store.setModelShape({ ...shape, source: "user" });
    const summary = summarizeRun(store, { resamples: 50 });
    store.close();
    assert.deepEqual(summary.cost, { shape: { ...shape, source: "user" }, intensity: 295, batchSize: 1 });
    const all = summary.groups.at(-1)!;
    const byName = (name: string) => all.metrics.find((m) => m.name === name)!.compute!;
    const options = { batchSize: 1, intensity: 295 };
    const meanOf = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    // Greedy: the mean over problems of the cost of its recorded sequences.
    const greedy = byName("greedy");
    const greedyCosts = [problemCost(shape, seqA, options), problemCost(shape, seqB, options)];
    assert.equal(greedy.flops, Math.round(meanOf(greedyCosts.map((c) => c.flops))));
    assert.equal(greedy.bytes, Math.round(meanOf(greedyCosts.map((c) => c.bytes))));
    assert.equal(greedy.eflops, Math.round(meanOf(greedyCosts.map((c) => c.eflops))));
    // pass@1: the mean pool sample; at k, k of them (one request: same prompt tokens and one call).
    const perSample = meanOf(
      [poolA, poolB].map((p) =>
        meanOf(
          p.map(
            (x) =>
              sequenceCost(
                shape,
                { promptTokens: x.promptTokens, generatedTokens: x.completionTokens },
                options,
              ).flops,
          ),
        ),
      ),
    );
    assert.equal(byName("pass@1").flops, Math.round(perSample));
    for (const k of [2, 4]) {
      for (const name of [`maj@${k}`, `coverage@${k}`]) {
        const c = byName(name);
        assert.equal(c.flops, Math.round(k * perSample), name);
        assert.equal(c.promptTokens, 3, name);
        assert.equal(c.calls, 1, name);
        assert.equal(c.generatedTokens, k * meanOf([11.5, 23]), name);
      }
    }
    // Per level too: level 2 is problem b alone.
    const l2 = summary.groups.find((g) => g.level === 2)!;
    assert.equal(l2.metrics[0]!.compute!.flops, Math.round(greedyCosts[1]!.flops));
    assert.match(
      formatSummary(summary),
      /cost: 1000000 params, 4 layers, dModel 64, kvDim 32, 2 bytes\/param \(--model-shape\)/,
    );
    assert.match(
      formatSummary(summary),
      /\n {2}greedy\s+0\.000\s+\[0\.000, 0\.000\]\s+20\.0\s+\d\.\d\de\d+\s+\d\.\d\de\d+\n/,
    );
  });
});
