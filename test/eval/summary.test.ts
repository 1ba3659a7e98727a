import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { emptyUsage } from "../../src/core/usage.js";
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
    assert.equal(get("pass@1").tokensPerProblem, 40);
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
  });
});
