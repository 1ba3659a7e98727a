import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Completion } from "../../src/core/model.js";
import { emptyUsage } from "../../src/core/usage.js";
import type { Outcome } from "../../src/server/execute.js";
import type { Plan } from "../../src/server/plan.js";
import { answerBody, answerChoices, chunkBody, wireChoice } from "../../src/server/respond.js";

function plainPlan(prompt: Plan["prompt"], logprobs: boolean): Plan {
  return {
    prompt,
    strategy: null,
    scorer: undefined,
    judge: undefined,
    budget: {},
    includeCandidates: false,
    n: 2,
    maxTokens: 10,
    stop: undefined,
    seed: undefined,
    temperature: undefined,
    topP: undefined,
    topK: undefined,
    logprobs,
    topLogprobs: 1,
  };
}

const completions: Completion[] = [
  {
    text: "A:1",
    finishReason: "stop",
    completionTokens: 2,
    logprobs: [
      { token: "A:", logprob: -0.5, top: { "A:": -0.5 } },
      { token: "1", logprob: -1, top: { "1": -1 } },
    ],
  },
  { text: "A:", finishReason: "abort", completionTokens: 1, logprobs: [{ token: "A:", logprob: -0.5 }] },
];
const usage = { ...emptyUsage(), promptTokens: 5, completionTokens: 3, calls: 1 };
const outcome: Outcome = { kind: "plain", completions, usage, wallMs: 12.4 };

describe("server answers: one choice shaper for whole answers and stream chunks", () => {
  test("chat: a message in a whole answer, a delta in a chunk; the finishing delta is empty", () => {
    const part = { index: 1, text: "A:3", finishReason: null, role: true };
    assert.deepEqual(
      wireChoice("chat", "message", { ...part, finishReason: "stop", logprobs: { content: [] } }),
      {
        index: 1,
        message: { role: "assistant", content: "A:3" },
        logprobs: { content: [] },
        finish_reason: "stop",
      },
    );
    assert.deepEqual(wireChoice("chat", "delta", part), {
      index: 1,
      delta: { role: "assistant", content: "A:3" },
      logprobs: null,
      finish_reason: null,
    });
    assert.deepEqual(wireChoice("chat", "delta", { index: 0, text: null, finishReason: "length" }), {
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: "length",
    });
  });

  test("completions: text in both forms; logprobs only in whole answers", () => {
    const part = { index: 0, text: "A:3", finishReason: "stop" as const, logprobs: { tokens: ["A:3"] } };
    assert.deepEqual(wireChoice("completions", "message", part), {
      index: 0,
      text: "A:3",
      logprobs: { tokens: ["A:3"] },
      finish_reason: "stop",
    });
    assert.deepEqual(wireChoice("completions", "delta", part), {
      index: 0,
      text: "A:3",
      logprobs: null,
      finish_reason: "stop",
    });
  });

  test("a plain outcome's choices: an aborted sample reads as length; logprobs only when asked", () => {
    const asked = answerChoices(outcome, plainPlan("Q:1\n", true));
    assert.deepEqual(
      asked.map((c) => [c.index, c.text, c.finishReason, c.logprobs?.length]),
      [
        [0, "A:1", "stop", 2],
        [1, "A:", "length", 1],
      ],
    );
    assert.ok(answerChoices(outcome, plainPlan("Q:1\n", false)).every((c) => c.logprobs === undefined));
  });

  test("whole answers: legacy logprobs offsets start after the prompt; the extension says aborted", () => {
    const meta = { id: "cmpl-x", model: "tiny", created: 1, endpoint: "completions" as const };
    const body = answerBody(meta, outcome, plainPlan("Q:1\n", true));
    assert.equal(body.object, "text_completion");
    const first = body.choices[0] as { logprobs: { text_offset: number[]; tokens: string[] } };
    assert.deepEqual(first.logprobs.tokens, ["A:", "1"]);
    assert.deepEqual(first.logprobs.text_offset, [4, 6]);
    assert.equal(body.usage.total_tokens, 8);
    assert.equal(body.deliberate.stop_reason, "aborted");
    assert.equal(body.deliberate.wall_ms, 12);
    const chat = answerBody({ ...meta, endpoint: "chat" }, outcome, plainPlan({ messages: [] }, true));
    assert.equal(chat.object, "chat.completion");
    const message = chat.choices[0] as { logprobs: { content: { token: string; bytes: number[] }[] } };
    assert.deepEqual(message.logprobs.content[0]!.bytes, [65, 58]);
  });

  test("chunks carry usage: null while include_usage waits for the last one", () => {
    const meta = { id: "chatcmpl-x", model: "sc@tiny", created: 1, endpoint: "chat" as const };
    assert.equal(chunkBody(meta, [], true).usage, null);
    assert.equal("usage" in chunkBody(meta, [], false), false);
    assert.equal(chunkBody(meta, [], true, { usage: { total_tokens: 3 } }).object, "chat.completion.chunk");
  });
});
