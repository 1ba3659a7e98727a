import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dialectFromOwner,
  logprobFields,
  readAnswer,
  stopFromOvershoot,
} from "../../src/backends/openai-compatible/dialect.js";

const entry = (token: string, bytes = [...Buffer.from(token)]) => ({
  token,
  logprob: -0.1,
  bytes,
  top_logprobs: [],
});

describe("server dialects", () => {
  test("owned_by names the dialect; anything else is plain OpenAI", () => {
    assert.equal(dialectFromOwner("llamacpp"), "llama.cpp");
    assert.equal(dialectFromOwner("vllm"), "vllm");
    assert.equal(dialectFromOwner("sglang"), "sglang");
    assert.equal(dialectFromOwner("openai"), "openai");
    assert.equal(dialectFromOwner(undefined), "openai");
  });

  test("llama.cpp: never a bare logprobs: true (20 alternatives), never 0 (no logprobs)", () => {
    assert.deepEqual(logprobFields("llama.cpp", true, 0), { logprobs: true, top_logprobs: 1 });
    assert.deepEqual(logprobFields("llama.cpp", false, 3), { logprobs: 3 });
    assert.deepEqual(logprobFields("vllm", true, 0), { logprobs: true, top_logprobs: 0 });
  });

  test("llama.cpp, several choices: end token listed, stop string's tokens dropped, prefix echoed", () => {
    const answer = readAnswer(
      "llama.cpp",
      {
        choices: [
          // Ended at the stop "\n": its 1 token is not listed.
          {
            index: 0,
            message: { content: "P:12" },
            finish_reason: "stop",
            logprobs: { content: [entry("12")] },
          },
          // Ended the text: the end token is listed with an empty piece and no bytes.
          {
            index: 1,
            message: { content: "P:3" },
            finish_reason: "stop",
            logprobs: { content: [entry("3"), entry("", [])] },
          },
          {
            index: 2,
            message: { content: "P:45" },
            finish_reason: "length",
            logprobs: { content: [entry("4"), entry("5")] },
          },
        ],
        usage: { prompt_tokens: 9, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 4 } },
        __verbose: { stop_type: "word", stopping_word: "\n", tokens_predicted: 2 },
      },
      {
        n: 3,
        stops: ["\n"],
        chatPrefix: "P:",
        keepLogprobs: false,
        keepTop: false,
        stopTokenCounts: new Map([["\n", 1]]),
      },
    );
    assert.deepEqual(
      answer.completions.map((c) => [c.text, c.finishReason, c.stopSequence, c.completionTokens]),
      [
        ["12", "stop", "\n", 2],
        ["3", "stop", undefined, 2],
        ["45", "length", undefined, 2],
      ],
    );
    assert.equal(answer.completionTokens, 6, "not usage's 2: that is the first choice's");
    assert.deepEqual([answer.promptTokens, answer.cachedPromptTokens], [9, 4]);
  });

  test("vLLM and SGLang say which stop ended a choice; usage is the total", () => {
    const ctx = { n: 2, stops: ["\n", "Q:"], keepLogprobs: false, keepTop: false };
    const vllm = readAnswer(
      "vllm",
      {
        choices: [
          {
            index: 0,
            text: "a",
            finish_reason: "stop",
            stop_reason: "Q:",
            logprobs: { tokens: ["a", "Q", ":"] },
          },
          {
            index: 1,
            text: "bb",
            finish_reason: "stop",
            stop_reason: null,
            logprobs: { tokens: ["b", "b"] },
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 6 },
      },
      ctx,
    );
    assert.deepEqual(
      vllm.completions.map((c) => [c.stopSequence, c.completionTokens]),
      [
        ["Q:", 3],
        [undefined, 3],
      ],
      "the unlisted end token goes to the choice that ended its text",
    );
    assert.equal(vllm.completionTokens, 6);
    const sglang = readAnswer(
      "sglang",
      {
        choices: [{ index: 0, text: "a", finish_reason: "stop", matched_stop: "\n" }],
        usage: { completion_tokens: 2 },
      },
      { ...ctx, n: 1 },
    );
    assert.equal(sglang.completions[0]!.stopSequence, "\n");
    assert.equal(sglang.completions[0]!.completionTokens, 2);
  });

  test("plain OpenAI: the stop is read from the logprob tokens running past the text", () => {
    const lp = (tokens: string[]) => tokens.map((token) => ({ token, logprob: -1 }));
    assert.equal(stopFromOvershoot("12+3", lp(["12", "+3", "\n"]), ["\n"]), "\n");
    assert.equal(stopFromOvershoot("12+3", lp(["12", "+3"]), ["\n"]), undefined, "ended the text");
    assert.equal(stopFromOvershoot("12", lp(["12", "\n\n"]), ["\n", "\n\n"]), "\n\n", "the longer match");
  });
});
