/**
 * Request validation: a prompt that asks nothing (only whitespace, no messages, a message without
 * content) is refused by every backend and by `runStrategy` before any generation.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { validateCompletionRequest, validatePrompt } from "../../src/core/validate.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { run, ScriptedModel, solution } from "../strategies/fixtures.js";

describe("validatePrompt", () => {
  test("a text prompt needs a non-whitespace character", () => {
    for (const prompt of ["", "   ", "\n\t \n"]) {
      assert.throws(
        () => validatePrompt(prompt),
        /^ConfigError: the prompt is empty \(it has only whitespace\)$/,
      );
    }
    validatePrompt("Q:1+1\n");
    validatePrompt(" x ");
  });

  test("a chat prompt needs messages, each with content", () => {
    assert.throws(() => validatePrompt({ messages: [] }), /the prompt has no messages/);
    assert.throws(
      () =>
        validatePrompt({
          messages: [
            { role: "system", content: "Answer briefly." },
            { role: "user", content: "  " },
          ],
        }),
      /message 1 \(user\) has empty content/,
    );
    validatePrompt({ messages: [{ role: "user", content: "57+38" }] });
  });

  test("completion requests are checked the same way", () => {
    assert.throws(() => validateCompletionRequest({ prompt: " \n" }), ConfigError);
    assert.throws(
      () => validateCompletionRequest({ prompt: { messages: [{ role: "user", content: "" }] } }),
      ConfigError,
    );
    validateCompletionRequest({ prompt: "Q:1+1\n", n: 2 });
  });

  test("runStrategy refuses an empty prompt before asking the model anything", async () => {
    const model = new ScriptedModel(() => solution("2"));
    await assert.rejects(run(createStrategy("sc:n=4"), { model }, { prompt: "   " }), /the prompt is empty/);
    await assert.rejects(
      run(createStrategy("greedy"), { model }, { prompt: { messages: [{ role: "user", content: "\t" }] } }),
      /message 0 \(user\) has empty content/,
    );
    assert.equal(model.requests.length, 0);
  });
});
