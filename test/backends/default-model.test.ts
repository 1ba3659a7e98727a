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
    const cwd = process.cwd();
    process.chdir(mkdtempSync(path.join(tmpdir(), "deliberate-cwd-")));
    let model: LlamaCppModel;
    try {
      model = await LlamaCppModel.load({ parallel: 1, gpu: false });
    } finally {
      process.chdir(cwd);
    }
    try {
      assert.equal(model.file, embeddedModels.policy);
      assert.ok(path.isAbsolute(model.file));
      const { completions } = await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 40 });
      // The embedded policy's greedy solution of 57+38-19+44 starts with its first step.
      assert.match(completions[0]!.text, /^57\+38=95\n/);
    } finally {
      await model.close();
    }
  });
});
