import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BackendError } from "../../src/core/errors.js";
import type { LanguageModel } from "../../src/core/model.js";
import { firstFinish } from "../../src/strategies/first-finish.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, run, ScriptedModel } from "./fixtures.js";

/** Samples of different lengths: the scripted model emits one token per event-loop turn for each. */
const texts = [
  `${"x".repeat(30)}A:1\n`,
  "xxxA:2\n",
  `${"x".repeat(20)}A:3\n`,
  "xxxxxA:2\n",
  `${"x".repeat(40)}A:4\n`,
];

describe("first-finish strategy (scripted, interleaved generation)", () => {
  test("k=1: the first to finish answers and the others are really cancelled", async () => {
    const model = new ScriptedModel((i) => texts[i]!, { stepwise: true });
    const result = await run(createStrategy("first-finish:n=5,k=1"), { model });
    assert.equal(result.answer, "2");
    assert.equal(result.candidates[result.chosen]!.text, "xxxA:2\n");
    assert.equal(result.stopReason, "early-stop");
    assert.equal(model.requests.length, 5, "one request per sample, all at once");
    const aborted = result.candidates.filter((c) => c.finishReason === "abort");
    assert.equal(aborted.length, 4);
    for (const c of aborted) {
      // They stopped right after the winner: about as many tokens as it, far fewer than their length.
      assert.ok(c.completionTokens <= 9 && c.completionTokens >= 6, `${c.completionTokens}`);
      assert.equal(c.text.length, c.completionTokens);
    }
    // The meter counted what was generated, no more.
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.equal(result.usage.completionTokens, model.generated);
    const fullCost = texts.reduce((s, t) => s + t.length + 1, 0);
    assert.ok(result.usage.completionTokens < fullCost / 2);
    assert.ok(result.trace.filter((n) => n.status === "pruned").length === 4);
  });

  test("k=2 vote, and select=shortest takes the first finisher", async () => {
    const voted = await run(createStrategy("first-finish:n=5,k=2"), {
      model: new ScriptedModel((i) => texts[i]!, { stepwise: true }),
    });
    assert.equal(voted.answer, "2", "both early finishers say 2");
    const finishers = voted.candidates.filter((c) => c.finishReason === "stop");
    assert.equal(finishers.length, 2);
    const shortest = await run(createStrategy("first-finish:n=5,k=2,select=shortest"), {
      model: new ScriptedModel((i) => texts[i]!, { stepwise: true }),
    });
    assert.equal(shortest.candidates[shortest.chosen]!.text, "xxxA:2\n");
  });

  test("samples cut by maxTokens do not count as finished", async () => {
    const model = new ScriptedModel((i) => texts[i]!, { stepwise: true });
    const result = await run(createStrategy("first-finish:n=5,k=2,maxTokens=8"), { model });
    // Only "xxxA:2" (8 tokens with end of text) finishes; the rest stop at 8 tokens by length.
    assert.deepEqual(result.candidates.map((c) => c.finishReason).sort(), [
      "length",
      "length",
      "length",
      "length",
      "stop",
    ]);
    assert.equal(result.answer, "2");
    assert.equal(result.stopReason, "completed");
  });

  test("nothing finishes with an answer: vote over all, null when no answer", async () => {
    const model = new ScriptedModel(() => "no answer here\n", { stepwise: true });
    const result = await run(createStrategy("first-finish:n=3,k=1"), { model });
    assert.equal(result.answer, null);
    assert.equal(
      result.chosen,
      result.candidates.findIndex((c) => c.finishReason === "stop"),
    );
  });

  test("the run's abort signal cancels every sample", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel((i) => texts[i]!, { stepwise: true });
    setImmediate(() => setImmediate(() => controller.abort()));
    const result = await run(createStrategy("first-finish:n=5"), { model, signal: controller.signal });
    assert.equal(result.stopReason, "aborted");
    assert.ok(result.candidates.every((c) => c.finishReason === "abort"));
    assert.equal(result.usage.completionTokens, candidateTokens(result));
  });

  test("a failing request fails the run and cancels the other samples", async () => {
    const inner = new ScriptedModel((i) => texts[i]!, { stepwise: true });
    let calls = 0;
    const failing: LanguageModel = {
      id: "failing",
      capabilities: inner.capabilities,
      complete: (request) => {
        calls++;
        return calls === 3 ? Promise.reject(new BackendError("boom")) : inner.complete(request);
      },
      close: async () => {},
    };
    await assert.rejects(run(createStrategy("first-finish:n=5"), { model: failing }), BackendError);
    assert.ok(
      inner.requests.every((r) => r.signal?.aborted),
      "the others were aborted",
    );
    assert.ok(inner.generated < texts.reduce((s, t) => s + t.length, 0));
  });

  test("the budget is shared among the concurrent samples", async () => {
    const model = new ScriptedModel((i) => texts[i]!, { stepwise: true });
    const result = await run(createStrategy("first-finish:n=5,k=5"), {
      model,
      budget: { maxCompletionTokens: 20 },
    });
    assert.ok(result.usage.completionTokens <= 20, `${result.usage.completionTokens}`);
    const tooSmall = await run(createStrategy("first-finish:n=5"), {
      model: new ScriptedModel((i) => texts[i]!),
      budget: { maxCompletionTokens: 3 },
    });
    assert.equal(tooSmall.stopReason, "budget");
  });
});

describe("first-finish on the embedded model: cancellation is real", () => {
  const policy = usePolicy(8);

  test("aborted samples report exactly the tokens the backend generated", async () => {
    const [problem] = arithProblems(7, 1);
    const options = arithOptions(policy(), { defaults: { maxTokens: 80 } });
    const settings = {
      n: 8,
      k: 1,
      select: "vote" as const,
      temperature: 1,
      topP: 1,
      topK: 0,
      logprobs: true,
    };
    const result = await runStrategy(firstFinish(settings), problem!, options);
    const aborted = result.candidates.filter((c) => c.finishReason === "abort");
    assert.ok(aborted.length > 0, "some samples were cancelled");
    assert.equal(result.usage.completionTokens, candidateTokens(result), "meter = sum over candidates");
    for (const c of aborted) {
      assert.ok(c.completionTokens < 80, "cancelled before maxTokens");
      // Every token it reports has its logprob: the count is what was really sampled.
      assert.equal(c.logprobs!.length, c.completionTokens);
    }
    // The same seeds without cancellation: every aborted text is a prefix of its full sample, and the
    // full run costs more.
    const full = await runStrategy(firstFinish({ ...settings, k: 8 }), problem!, options);
    const bySample = new Map<unknown, string>();
    full.trace.forEach((node) => {
      if (node.meta?.sample !== undefined) bySample.set(node.meta.sample, node.text);
    });
    result.trace.forEach((node) => {
      if (node.status === "pruned" && node.meta?.sample !== undefined) {
        assert.ok(bySample.get(node.meta.sample)!.startsWith(node.text));
      }
    });
    assert.ok(result.usage.completionTokens < full.usage.completionTokens);
  });
});
