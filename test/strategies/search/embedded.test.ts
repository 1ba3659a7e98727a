import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../../src/backends/llama-cpp/index.js";
import type { Scorer } from "../../../src/core/scorer.js";
import type { StrategyResult } from "../../../src/core/strategy.js";
import { scorers } from "../../../src/scorers/registry.js";
import { createStrategy } from "../../../src/strategies/registry.js";
import { type RunOptions, runStrategy } from "../../../src/strategies/run.js";
import { modelStepGenerator } from "../../../src/strategies/search/steps.js";
import { extractArithAnswer, statesArithAnswer } from "../../../src/tasks/arith/index.js";
import { loadPolicy } from "../../helpers/models.js";

const PROMPT = "Q:57+38-19+44-21\n";

/** A search run's trace is a tree whose generated tokens are exactly the policy's usage. */
function checkSearchRun(result: StrategyResult): void {
  const ids = new Set(result.trace.map((n) => n.id));
  for (const node of result.trace) if (node.parent !== null) assert.ok(ids.has(node.parent), "parent exists");
  const traced = result.trace.reduce((s, n) => s + n.tokens, 0);
  assert.equal(traced, result.usage.completionTokens, "every generated token sits in one trace node");
  assert.ok(result.candidates.length > 0);
  for (const c of result.candidates) {
    assert.match(c.text, /^(\d+[+-]\d+=-?\d+\n)+A:-?\d+\n$/, "a complete solution, step by step");
    assert.equal(c.answer, extractArithAnswer(c.text));
    assert.ok(Number.isFinite(c.score));
  }
  assert.ok(result.chosen >= 0);
  assert.equal(result.trace.filter((n) => n.status === "selected").length, 1);
}

describe("step-level search on the embedded model", () => {
  let model: LlamaCppModel;
  let prm: Scorer & { close?(): Promise<void> };
  before(async () => {
    model = await loadPolicy(16);
    prm = await scorers.create("prm").open();
  });
  after(async () => {
    await model.close();
    await prm.close?.();
  });
  const run = (spec: string, budget?: number, extra: Partial<RunOptions> = {}) =>
    runStrategy(
      createStrategy(spec),
      { prompt: PROMPT },
      {
        model,
        scorer: prm,
        extractAnswer: extractArithAnswer,
        isCompleteSolution: statesArithAnswer,
        seed: 3,
        defaults: { maxTokens: 160 },
        ...(budget ? { budget: { maxCompletionTokens: budget } } : {}),
        ...extra,
      },
    );

  test("the step generator stops at the delimiter and knows the final step", async () => {
    const problem = { prompt: PROMPT };
    const ctx = {
      model,
      isCompleteSolution: statesArithAnswer,
      defaults: { maxTokens: 160, stepDelimiter: "\n" },
      meter: { remainingTokens: () => Number.POSITIVE_INFINITY },
    } as unknown as Parameters<typeof modelStepGenerator>[1];
    const gen = modelStepGenerator(problem, ctx, { temperature: 0, topP: 1, topK: 0, stepTokens: 32 });
    const [first] = await gen.expand([{ from: { text: "", tokens: 0 }, n: 2, seed: 1 }]);
    assert.equal(first!.length, 2);
    for (const step of first!) {
      assert.match(step.text, /^57\+38=\d+\n$/);
      assert.equal(step.done, false);
      assert.equal(step.tokens, step.text.length, "one token per character, the delimiter included");
    }
    const [last] = await gen.expand([
      { from: { text: "57+38=95\n95-19=76\n76+44=120\n120-21=99\n", tokens: 40 }, n: 1, seed: 1 },
    ]);
    assert.equal(last![0]!.text, "A:99\n");
    assert.equal(last![0]!.done, true);
  });

  for (const spec of [
    "beam:n=8,m=2",
    "beam:n=4,m=2,lookahead=1",
    "dvts:n=8,m=2",
    "diverse-beam:n=8,m=2,groups=2",
    "mcts:iterations=4,children=2,rollout=1,batch=2",
  ]) {
    test(`${spec} finds complete, scored solutions with a consistent trace`, async () => {
      checkSearchRun(await run(spec));
    });
  }

  test("without the task's completeness test a solution ends where the model ends its text", async () => {
    const result = await run("beam:n=4,m=2", undefined, { isCompleteSolution: undefined });
    checkSearchRun(result);
    // After the A: line the model was asked for one more step and ended its text: an empty step.
    for (const node of result.trace.filter((n) => n.status === "final" || n.status === "selected")) {
      assert.equal(node.text, "");
      assert.match(result.trace[node.parent!]!.text, /^A:-?\d+\n$/);
    }
  });

  test("children reuse their parent's KV state: evaluated tokens stay within 1.1× the tree's", async () => {
    const result = await run("beam:n=8,m=2");
    const promptTokens = model.encodePrompt(PROMPT).length;
    const tree = promptTokens + result.trace.reduce((s, n) => s + n.tokens, 0);
    const evaluated =
      result.usage.promptTokens - result.usage.cachedPromptTokens + result.usage.completionTokens;
    assert.ok(evaluated <= 1.1 * tree, `evaluated ${evaluated} tokens for a tree of ${tree}`);
    assert.ok(result.usage.cachedPromptTokens > 0);
  });

  test("an abort during the search ends it with stopReason aborted", async () => {
    const controller = new AbortController();
    const result = await run("dvts:n=8,m=2", undefined, {
      signal: controller.signal,
      // Abort after the first round's progress report.
      onEvent: (e) => {
        if (e.type === "progress") controller.abort();
      },
    });
    assert.equal(result.stopReason, "aborted");
    assert.equal(result.trace.filter((n) => n.parent === 0).length, 8, "only the first round was generated");
  });

  test("a token budget stops the search without overspending", async () => {
    const result = await run("beam:n=8,m=2", 60);
    assert.equal(result.stopReason, "budget");
    assert.ok(result.usage.completionTokens <= 60);
  });
});
