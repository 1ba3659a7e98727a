import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CapabilityError } from "../../src/core/errors.js";
import { ComputeMeter } from "../../src/core/meter.js";
import type {
  CompletionRequest,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
} from "../../src/core/model.js";
import type { Scorer } from "../../src/core/scorer.js";
import { emptyUsage, type Usage } from "../../src/core/usage.js";
import {
  checkModelContract,
  reportModelUsage,
  reportScorerUsage,
  wrapModel,
  wrapScorer,
} from "../../src/core/wrap.js";

const usage = (promptTokens: number, completionTokens: number): Usage => ({
  ...emptyUsage(),
  promptTokens,
  completionTokens,
  calls: 1,
});

/** A model that echoes its request's maxTokens as text and records what it got and whether it closed. */
class EchoModel implements LanguageModel {
  readonly id = "echo";
  readonly capabilities: ModelCapabilities;
  readonly requests: CompletionRequest[] = [];
  readonly scored: ScoreRequest[] = [];
  closed = false;

  constructor(promptLogprobs: boolean) {
    this.capabilities = { logprobs: false, promptLogprobs, maxParallel: 2, chat: false };
  }

  async complete(request: CompletionRequest) {
    this.requests.push(request);
    return {
      completions: [
        { text: String(request.maxTokens), finishReason: "length" as const, completionTokens: 3 },
      ],
      usage: usage(4, 3),
    };
  }

  async score(request: ScoreRequest) {
    this.scored.push(request);
    return { tokens: [{ token: request.continuation, logprob: -1 }], usage: usage(6, 1) };
  }

  async close() {
    this.closed = true;
  }
}

describe("wrapModel", () => {
  test("a hook may change the request and the response; other members pass through", async () => {
    const inner = new EchoModel(true);
    const wrapped = wrapModel(inner, {
      async complete(request, next) {
        const response = await next({ ...request, maxTokens: 7 });
        return { ...response, completions: response.completions.map((c) => ({ ...c, text: `<${c.text}>` })) };
      },
    });
    assert.equal(wrapped.id, "echo");
    assert.equal(wrapped.capabilities, inner.capabilities);
    const response = await wrapped.complete({ prompt: "p", maxTokens: 100 });
    assert.equal(response.completions[0]!.text, "<7>");
    assert.equal(inner.requests[0]!.maxTokens, 7);
    // No score hook: score passes through unchanged.
    const scored = await wrapped.score!({ prompt: "p", continuation: "x" });
    assert.equal(scored.tokens[0]!.token, "x");
    await wrapped.close();
    assert.ok(inner.closed);
  });

  test("layers nest: the outer middleware sees what the inner one returns", async () => {
    const order: string[] = [];
    const tag = (name: string) => ({
      async complete(
        request: CompletionRequest,
        next: (r: CompletionRequest) => ReturnType<EchoModel["complete"]>,
      ) {
        order.push(`${name}:before`);
        const response = await next(request);
        order.push(`${name}:after`);
        return response;
      },
    });
    const wrapped = wrapModel(wrapModel(new EchoModel(false), tag("inner")), tag("outer"));
    await wrapped.complete({ prompt: "p" });
    assert.deepEqual(order, ["outer:before", "inner:before", "inner:after", "outer:after"]);
  });

  test("score is exposed exactly when the model declares promptLogprobs", async () => {
    assert.equal(typeof wrapModel(new EchoModel(true), {}).score, "function");
    // A backend method behind an undeclared capability is not exposed.
    assert.equal(wrapModel(new EchoModel(false), {}).score, undefined);
    const claims: LanguageModel = {
      id: "claims",
      capabilities: { logprobs: false, promptLogprobs: true, maxParallel: 1, chat: false },
      complete: new EchoModel(false).complete,
      close: async () => {},
    };
    assert.throws(() => checkModelContract(claims), CapabilityError);
    assert.throws(() => wrapModel(claims, {}), /declares promptLogprobs but has no score/);
  });

  test("reportModelUsage reports every call; scoring generates nothing", async () => {
    const seen: Usage[] = [];
    const wrapped = wrapModel(
      new EchoModel(true),
      reportModelUsage((u) => seen.push(u)),
    );
    await wrapped.complete({ prompt: "p" });
    await wrapped.score!({ prompt: "p", continuation: "x" });
    assert.deepEqual(
      seen.map((u) => [u.promptTokens, u.completionTokens]),
      [
        [4, 3],
        [6, 0],
      ],
    );
  });
});

describe("wrapScorer", () => {
  test("reports usage, passes options and close through", async () => {
    const signals: (AbortSignal | undefined)[] = [];
    let closed = false;
    const inner: Scorer = {
      id: "lengths",
      async score(_problem, solutions, options) {
        signals.push(options?.signal);
        return { scores: solutions.map((s) => ({ value: s.length })), usage: usage(solutions.length, 0) };
      },
      async close() {
        closed = true;
      },
    };
    const seen: Usage[] = [];
    const wrapped = wrapScorer(
      inner,
      reportScorerUsage((u) => seen.push(u)),
    );
    const controller = new AbortController();
    const result = await wrapped.score({ prompt: "p" }, ["a", "bcd"], { signal: controller.signal });
    assert.deepEqual(
      result.scores.map((s) => s.value),
      [1, 3],
    );
    assert.equal(signals[0], controller.signal);
    assert.equal(seen[0]!.promptTokens, 2);
    assert.equal(wrapped.id, "lengths");
    await wrapped.close!();
    assert.ok(closed);
  });
});

describe("ComputeMeter.judge", () => {
  test("counts a judge with the scorers, outside the policy's budget", async () => {
    const meter = new ComputeMeter({ maxCompletionTokens: 2 });
    const judge = meter.judge(new EchoModel(false));
    const response = await judge.complete({ prompt: "p", maxTokens: 50 });
    assert.equal(response.completions[0]!.text, "50", "the policy's token budget does not clamp a judge");
    await judge.complete({ prompt: "p" });
    assert.equal(meter.scorerUsage.completionTokens, 6);
    assert.equal(meter.scorerUsage.calls, 2);
    assert.equal(meter.usage.calls, 0);
    meter.finish();
  });
});
