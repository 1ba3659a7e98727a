import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import type { LanguageModel } from "../../src/core/model.js";
import { embeddedModels } from "../../src/defaults.js";
import { useResource } from "../helpers/models.js";
import { postRaw, QUESTION, startTestServer } from "./setup.js";

/** A model that forwards to `inner` and counts its calls. */
function recording(inner: LanguageModel, id: string): LanguageModel & { calls: number } {
  const model = {
    id,
    // It forwards generation only, so it does not declare scoring (score ⇔ promptLogprobs).
    capabilities: { ...inner.capabilities, promptLogprobs: false },
    calls: 0,
    async complete(request: Parameters<LanguageModel["complete"]>[0]) {
      model.calls++;
      return inner.complete(request);
    },
    close: async () => {},
  };
  return model;
}

describe("deliberate serve: judges of rank, fuse and critique", () => {
  // The judge prompts of two candidates outgrow the tiny model's default context.
  const load = () =>
    LlamaCppModel.load({ model: embeddedModels.policy, parallel: 2, gpu: false, contextSize: 1024 });
  const policy = useResource(load, (m) => m.close());
  const other = useResource(load, (m) => m.close());

  test("a request picks a judge by name; the base model's name and no name use the base model", async () => {
    const referee = recording(other(), "referee");
    const t = await startTestServer(policy(), { judges: { referee } });
    try {
      const ask = (judge?: string) =>
        t.client.chat.completions.create({
          model: "rank:n=2@tiny",
          messages: QUESTION,
          max_tokens: 40,
          seed: 1,
          // @ts-expect-error the deliberate extension
          deliberate: judge ? { judge } : {},
        });
      await ask("referee");
      const afterNamed = referee.calls;
      assert.ok(afterNamed > 0, "the named judge was asked");
      await ask();
      await ask("tiny");
      assert.equal(referee.calls, afterNamed, "no name, or the base model's: the base model judges");
      const unknown = await postRaw(
        `${t.url}/v1/chat/completions`,
        JSON.stringify({ model: "rank:n=2@tiny", messages: QUESTION, deliberate: { judge: "nobody" } }),
      );
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error?.param, "deliberate.judge");
      assert.match(unknown.body.error!.message, /unknown judge 'nobody': use one of 'tiny', 'referee'/);
    } finally {
      await t.close();
    }
  });

  test("--judge: the server's default judge", async () => {
    const referee = recording(other(), "referee");
    const t = await startTestServer(policy(), { judges: { referee }, defaultJudge: "referee" });
    try {
      const response = await t.client.chat.completions.create({
        model: "fuse:n=2@tiny",
        messages: QUESTION,
        max_tokens: 40,
      });
      assert.ok(referee.calls > 0);
      assert.ok(response.choices[0]!.message.content !== null);
    } finally {
      await t.close();
    }
    await assert.rejects(startTestServer(policy(), { judges: {}, defaultJudge: "x" }), /default judge .x./);
  });
});
