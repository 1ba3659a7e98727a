import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { embeddedModels } from "../../src/defaults.js";
import { formatModelShape, parseModelShape, readGgufModelShape } from "../../src/eval/model-shape.js";

describe("model shape", () => {
  test("--model-shape text parses, round-trips and is checked", () => {
    const shape = parseModelShape("params=7e9, layers=32,dModel=4096,kvDim=1024,bytesPerParam=2");
    assert.deepEqual(shape, { params: 7e9, layers: 32, dModel: 4096, kvDim: 1024, bytesPerParam: 2 });
    assert.deepEqual(parseModelShape(formatModelShape({ ...shape, bytesPerKv: 1 })), {
      ...shape,
      bytesPerKv: 1,
    });
    assert.throws(
      () => parseModelShape("params=7e9,layers=32,dModel=4096,kvDim=1024"),
      /lacks bytesPerParam/,
    );
    assert.throws(
      () => parseModelShape("params=7e9,layers=32,dModel=4096,kvDim=1024,bytesPerParam=2,heads=32"),
      {
        name: "ConfigError",
        message: /invalid model shape item "heads=32".*keys: params, layers/,
      },
    );
    assert.throws(
      () => parseModelShape("params=0,layers=32,dModel=4096,kvDim=1024,bytesPerParam=2"),
      /params must be a positive/,
    );
    assert.throws(
      () => parseModelShape("params=x,layers=32,dModel=4096,kvDim=1024,bytesPerParam=2"),
      ConfigError,
    );
    assert.throws(() => parseModelShape("params=1,params=2"), /sets params twice/);
  });

  test("the embedded policy's shape comes from its GGUF metadata", async () => {
    const shape = await readGgufModelShape(embeddedModels.policy);
    assert.ok(shape);
    // 5 layers of d_model 128 with 4 heads (all of them K/V heads), F16 weights and F32 norms.
    assert.equal(shape.params, 1_076_096);
    assert.equal(shape.layers, 5);
    assert.equal(shape.dModel, 128);
    assert.equal(shape.kvDim, 128);
    assert.equal(shape.bytesPerKv, 2);
    const norms = 11 * 128; // 2 per layer + the output norm, F32
    const weightBytes = (1_076_096 - norms) * 2 + norms * 4;
    assert.equal(shape.params * shape.bytesPerParam, weightBytes);
    // The tensor data is the file minus its header and alignment padding.
    assert.ok(weightBytes < statSync(embeddedModels.policy).size);
  });
});
