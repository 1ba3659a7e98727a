import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BatchHolder, orderBatchesBySequence } from "../../src/backends/llama-cpp/native.js";

/** Records the batch calls that reach it, and answers with llama.cpp's logit positions. */
function recordingAddon() {
  const calls: string[] = [];
  let outputs = 0;
  const addon = {
    initBatch(size: number) {
      calls.push(`init ${size}`);
      outputs = 0;
    },
    addToBatch(sequence: number, _first: number, _tokens: Uint32Array, logits: Uint32Array) {
      calls.push(`add ${sequence}`);
      return Uint32Array.from(logits, () => outputs++);
    },
    async decodeBatch() {
      calls.push("decode");
    },
    getContextSize: () => 4096,
  };
  return { addon, calls };
}

describe("batches in sequence order", () => {
  test("the decodes of a step reach llama.cpp sorted by sequence, with their logit positions", async () => {
    const { addon, calls } = recordingAddon();
    const holder = { _ctx: addon } as unknown as BatchHolder;
    orderBatchesBySequence(holder);
    const ctx = holder._ctx;
    ctx.initBatch(5);
    // Arrival order, as node-llama-cpp's queue adds them: sequence 3 (two tokens, logits of both),
    // then 0, then 2 (a prefill without logits).
    const three = ctx.addToBatch(3, 7, Uint32Array.from([11, 12]), Uint32Array.from([0, 1]));
    const zero = ctx.addToBatch(0, 7, Uint32Array.from([13]), Uint32Array.from([0]));
    const two = ctx.addToBatch(2, 0, Uint32Array.from([14, 15]), Uint32Array.from([]));
    assert.deepEqual(calls, [], "nothing reaches llama.cpp before the decode");
    await ctx.decodeBatch();
    assert.deepEqual(calls, ["init 5", "add 0", "add 2", "add 3", "decode"]);
    // Sequence 0 comes first, so its logit is row 0; sequence 3's are rows 1 and 2.
    assert.deepEqual([...zero], [0]);
    assert.deepEqual([...three], [1, 2]);
    assert.deepEqual([...two], []);
    // Other members pass through to the addon.
    assert.equal((ctx as unknown as { getContextSize(): number }).getContextSize(), 4096);
  });
});
