/**
 * `LlamaCppModel.load()` without a model path loads the embedded policy shipped in the package's
 * models/ folder, found relative to the package and not to the working directory.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { embeddedModels } from "../../src/defaults.js";
import { ARITH_PROMPT } from "../helpers/models.js";

describe("the default model", () => {
  test("load() with no path is the embedded policy, from any working directory", async () => {
    const here = await LlamaCppModel.load({ parallel: 1, gpu: false });
    assert.equal(here.file, embeddedModels.policy);
    const { completions } = await here.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 40 });
    // The embedded policy's greedy solution of 57+38-19+44 starts with its first step.
    assert.match(completions[0]!.text, /^57\+38=95\n/);
    await here.close();
    // Elsewhere (after the first load: the llama.cpp runtime's one-time binary check starts a child
    // process that resolves this test runner's loader from the working directory).
    const cwd = process.cwd();
    process.chdir(mkdtempSync(path.join(tmpdir(), "deliberate-cwd-")));
    try {
      const there = await LlamaCppModel.load({ parallel: 1, gpu: false });
      assert.equal(there.file, embeddedModels.policy);
      await there.close();
    } finally {
      process.chdir(cwd);
    }
    assert.ok(path.isAbsolute(embeddedModels.policy));
  });
});
