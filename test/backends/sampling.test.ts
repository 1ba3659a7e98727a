import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { earliestStop } from "../../src/backends/llama-cpp/llama-cpp-model.js";
import { logSumExp, sampleToken, tokenLogprob, topLogprobs } from "../../src/backends/llama-cpp/sampling.js";
import { Rng } from "../../src/core/rng.js";

const logits = { tokens: Int32Array.from([10, 11, 12, 13]), values: Float32Array.from([2, 1, 0, -1]) };

function frequencies(options: { temperature: number; topK: number; topP: number }, draws = 20_000) {
  const rng = new Rng(3);
  const counts = new Map<number, number>();
  for (let i = 0; i < draws; i++) {
    const t = sampleToken(logits, options, rng);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

describe("sampleToken", () => {
  test("temperature 0 is argmax", () => {
    assert.equal(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1)), 10);
  });
  test("temperature 1 follows the softmax", () => {
    const counts = frequencies({ temperature: 1, topK: 0, topP: 1 });
    const z = logSumExp(logits.values);
    for (const [i, token] of [10, 11, 12, 13].entries()) {
      const expected = Math.exp(logits.values[i]! - z);
      assert.ok(Math.abs((counts.get(token) ?? 0) / 20_000 - expected) < 0.015, `token ${token}`);
    }
  });
  test("topK and topP truncate", () => {
    assert.deepEqual([...frequencies({ temperature: 1, topK: 2, topP: 1 }).keys()].sort(), [10, 11]);
    // p(10) = 0.64, p(10)+p(11) = 0.88 ≥ 0.8: tokens 12 and 13 never appear.
    assert.deepEqual([...frequencies({ temperature: 1, topK: 0, topP: 0.8 }).keys()].sort(), [10, 11]);
  });
  test("the same seed gives the same draws", () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng));
    };
    assert.deepEqual(draw(5), draw(5));
    assert.notDeepEqual(draw(5), draw(6));
  });
});

describe("logprobs", () => {
  test("normalised log-probabilities", () => {
    const z = logSumExp(logits.values);
    const total = [10, 11, 12, 13].reduce((s, t) => s + Math.exp(tokenLogprob(logits, t, z)), 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
    assert.equal(tokenLogprob(logits, 99, z), Number.NEGATIVE_INFINITY);
    assert.deepEqual(
      topLogprobs(logits, 2, z).map(([t]) => t),
      [10, 11],
    );
  });
});

describe("earliestStop", () => {
  test("finds the first stop string at or after the offset", () => {
    assert.deepEqual(earliestStop("ab\ncd\n", ["\n"], 0), { index: 2, stop: "\n" });
    assert.deepEqual(earliestStop("ab\ncd\n", ["\n"], 3), { index: 5, stop: "\n" });
    assert.deepEqual(earliestStop("xxENDyy#", ["#", "END"], 0), { index: 2, stop: "END" });
    assert.equal(earliestStop("abc", ["\n"], 0), null);
  });
});
