import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BudgetExhaustedError, ConfigError } from "../../src/core/errors.js";
import { ComputeMeter } from "../../src/core/meter.js";
import type { CompletionRequest, LanguageModel } from "../../src/core/model.js";
import { Rng } from "../../src/core/rng.js";
import { aggregateSteps } from "../../src/core/scorer.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A model that generates `maxTokens` tokens per sample (or 10), recording what it was asked. */
function countingModel(requests: CompletionRequest[]): LanguageModel {
  return {
    id: "counting",
    capabilities: { logprobs: false, promptLogprobs: false, maxParallel: 4, chat: false },
    async complete(request) {
      requests.push(request);
      const n = request.n ?? 1;
      const tokens = request.maxTokens ?? 10;
      return {
        completions: Array.from({ length: n }, () => ({
          text: "x",
          finishReason: "length" as const,
          completionTokens: tokens,
        })),
        usage: { promptTokens: 5, cachedPromptTokens: 0, completionTokens: n * tokens, calls: 1, wallMs: 1 },
      };
    },
    async close() {},
  };
}

describe("ComputeMeter", () => {
  test("counts usage of wrapped calls", async () => {
    const meter = new ComputeMeter();
    const model = meter.model(countingModel([]));
    await model.complete({ prompt: "p", n: 3, maxTokens: 7 });
    await model.complete({ prompt: "p" });
    assert.equal(meter.usage.completionTokens, 31);
    assert.equal(meter.usage.calls, 2);
    assert.equal(meter.usage.promptTokens, 10);
  });

  test("never lets generation exceed the token budget", async () => {
    const requests: CompletionRequest[] = [];
    const meter = new ComputeMeter({ maxCompletionTokens: 50 });
    const model = meter.model(countingModel(requests));
    await model.complete({ prompt: "p", n: 4, maxTokens: 100 });
    assert.equal(requests[0]!.maxTokens, 12, "clamped to floor(50 / 4)");
    assert.equal(meter.usage.completionTokens, 48);
    await assert.rejects(model.complete({ prompt: "p", n: 4 }), BudgetExhaustedError);
    await model.complete({ prompt: "p", n: 1 });
    assert.equal(meter.usage.completionTokens, 50);
    assert.ok(meter.exhausted());
  });

  test("enforces the call budget", async () => {
    const meter = new ComputeMeter({ maxCalls: 1 });
    const model = meter.model(countingModel([]));
    await model.complete({ prompt: "p" });
    await assert.rejects(model.complete({ prompt: "p" }), /call budget of 1 spent/);
  });

  test("enforces the wall-time budget: no call starts once maxWallMs has passed", async () => {
    const meter = new ComputeMeter({ maxWallMs: 20 });
    const inner = countingModel([]);
    const slow: LanguageModel = {
      ...inner,
      async complete(request) {
        await sleep(40);
        return inner.complete(request);
      },
    };
    const model = meter.model(slow);
    assert.equal(meter.exhaustedReason(), null);
    await model.complete({ prompt: "p" }); // starts at once, ends after the limit
    assert.ok(meter.elapsedMs() >= 20);
    assert.equal(meter.exhaustedReason(), "time budget of 20 ms spent");
    await assert.rejects(model.complete({ prompt: "p" }), BudgetExhaustedError);
    assert.equal(meter.usage.calls, 1);
  });

  test("rejects non-positive budgets", () => {
    assert.throws(() => new ComputeMeter({ maxCompletionTokens: 0 }), ConfigError);
    assert.throws(() => new ComputeMeter({ maxWallMs: -5 }), /budget.maxWallMs/);
  });
});

describe("Rng", () => {
  test("is reproducible and roughly uniform", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => b.next()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 5 }, () => new Rng(43).next()),
    );
    const rng = new Rng(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[rng.int(4)]!++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `bucket count ${c}`);
  });
  test("weighted draws follow the weights", () => {
    const rng = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[rng.weighted([1, 2, 0])]!++;
    assert.equal(counts[2], 0);
    assert.ok(Math.abs(counts[1]! / counts[0]! - 2) < 0.1);
  });
});

describe("aggregateSteps", () => {
  test("last, min, product, mean", () => {
    const s = [0.9, 0.5, 0.8];
    assert.equal(aggregateSteps(s, "last"), 0.8);
    assert.equal(aggregateSteps(s, "min"), 0.5);
    assert.ok(Math.abs(aggregateSteps(s, "product") - 0.36) < 1e-12);
    assert.ok(Math.abs(aggregateSteps(s, "mean") - 2.2 / 3) < 1e-12);
    assert.equal(aggregateSteps([], "min"), 0);
  });
});

describe("ComputeMeter: scoring and work in flight", () => {
  test("score calls respect the budget", async () => {
    const meter = new ComputeMeter({ maxCalls: 1 });
    let scored = 0;
    const base = countingModel([]);
    const inner: LanguageModel = {
      ...base,
      capabilities: { ...base.capabilities, promptLogprobs: true },
      async score() {
        scored++;
        return {
          tokens: [],
          usage: { promptTokens: 3, cachedPromptTokens: 0, completionTokens: 0, calls: 1, wallMs: 0 },
        };
      },
    };
    const model = meter.model(inner);
    await model.score!({ prompt: "p", continuation: "c" });
    await assert.rejects(model.score!({ prompt: "p", continuation: "c" }), BudgetExhaustedError);
    assert.equal(scored, 1, "the refused call never reached the model");
  });

  test("the time budget stops a call in flight and counts what it generated", async () => {
    const meter = new ComputeMeter({ maxWallMs: 50 });
    // Generates until its signal aborts, then reports the tokens so far (as the embedded backend does).
    const slow: LanguageModel = {
      ...countingModel([]),
      async complete(request) {
        const started = Date.now();
        await new Promise<void>((resolve) => request.signal?.addEventListener("abort", () => resolve()));
        const tokens = Math.max(1, Math.round((Date.now() - started) / 10));
        return {
          completions: [{ text: "x", finishReason: "abort" as const, completionTokens: tokens }],
          usage: { promptTokens: 5, cachedPromptTokens: 0, completionTokens: tokens, calls: 1, wallMs: 0 },
        };
      },
    };
    const model = meter.model(slow);
    const started = Date.now();
    await assert.rejects(model.complete({ prompt: "p" }), /time budget of 50 ms spent/);
    assert.ok(Date.now() - started < 2000, "stopped by the budget, not by the model");
    assert.ok(meter.usage.completionTokens >= 1, "its tokens are counted");
    assert.equal(meter.usage.calls, 1);
    meter.finish();
  });
});
