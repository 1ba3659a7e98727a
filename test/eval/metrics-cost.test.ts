/** FLOPs and memory traffic of sequences and problems against their per-token sums. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { problemCost, sequenceCost } from "../../src/eval/metrics/index.js";
import { close } from "./metrics-reference.js";

describe("sequenceCost / problemCost", () => {
  const model = { params: 1e9, layers: 16, dModel: 2048, kvDim: 512, bytesPerParam: 2 };

  it("matches the per-token sums", () => {
    const p = 100;
    const g = 50;
    let attention = 0;
    for (let t = 1; t <= p + g; t++) attention += 2 * model.layers * t * model.dModel;
    let kv = 0;
    for (let j = 1; j <= g; j++) kv += 2 * model.layers * model.kvDim * (p + j) * 2;
    const weights = model.params * 2 * (g + 1);
    const c = sequenceCost(model, { promptTokens: p, generatedTokens: g }, { intensity: 100 });
    assert.equal(c.denseFlops, 2 * model.params * (p + g));
    close(c.attentionFlops, attention, 1e-6, "attention");
    close(c.flops, c.denseFlops + attention, 1e-3, "flops");
    close(c.bytes, weights + kv, 1e-3, "bytes");
    close(c.eflops, c.flops + 100 * c.bytes, 1e3, "eflops");
  });

  it("amortises weight reads over the batch and sums sequences", () => {
    const seq = { promptTokens: 10, generatedTokens: 1000 };
    const one = sequenceCost(model, seq);
    const batched = sequenceCost(model, seq, { batchSize: 8 });
    assert.ok(batched.bytes < one.bytes);
    assert.equal(batched.flops, one.flops);
    const total = problemCost(model, [seq, seq, seq]);
    close(total.eflops, 3 * one.eflops, 1, "sum");
    // KV-cache reads grow quadratically with generation length, weight reads only linearly.
    const kvBytes = (g: number): number =>
      sequenceCost(model, { promptTokens: 0, generatedTokens: g }).bytes - model.params * 2 * (g + 1);
    close(kvBytes(20000) / kvBytes(10000), 4, 1e-3, "quadratic KV traffic");
    assert.throws(() => sequenceCost({ ...model, layers: 0 }, seq), ConfigError);
    assert.throws(() => sequenceCost(model, { promptTokens: -1, generatedTokens: 1 }), ConfigError);
  });
});
