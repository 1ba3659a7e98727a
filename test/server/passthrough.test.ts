import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OpenAICompatibleModel } from "../../src/backends/openai-compatible/index.js";
import { scorers } from "../../src/scorers/registry.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { startDialectServer } from "../helpers/dialect-servers.js";
import { loadPolicy, useResource } from "../helpers/models.js";
import { arithOptions, arithProblems } from "../strategies/fixtures.js";
import { startTestServer } from "./setup.js";

// `deliberate serve --base-url` over a loopback llama.cpp-style server that streams one token every
// 15 ms: a plain streamed request passes the upstream's tokens on while they are generated.
describe("deliberate serve over an upstream server: pass-through streaming", () => {
  const served = useResource(
    () => loadPolicy(2),
    (m) => m.close(),
  );
  const upstream = useResource(
    () => startDialectServer("llama.cpp", served(), { pieceDelayMs: 15 }),
    (s) => s.close(),
  );

  test("a plain request's first tokens arrive before the upstream has finished", async () => {
    const model = new OpenAICompatibleModel({ baseUrl: upstream().url, model: "tiny" });
    const t = await startTestServer(model, { modelName: "tiny" });
    try {
      const stream = await t.client.chat.completions.create({
        model: "tiny",
        messages: [{ role: "user", content: "Q:57+38-19+44\n" }],
        max_tokens: 60,
        temperature: 0,
        stream: true,
      });
      let text = "";
      let sentAtFirstToken: number | undefined;
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta?.content;
        if (!piece) continue;
        if (sentAtFirstToken === undefined) sentAtFirstToken = upstream().requests.at(-1)!.streamedPieces;
        text += piece;
      }
      const total = upstream().requests.at(-1)!.streamedPieces!;
      assert.ok(upstream().requests.at(-1)!.body.stream, "the upstream request was streamed");
      assert.ok(
        sentAtFirstToken !== undefined && sentAtFirstToken < total,
        `${sentAtFirstToken} of ${total}`,
      );
      const whole = await model.complete({
        prompt: { messages: [{ role: "user", content: "Q:57+38-19+44\n" }] },
        maxTokens: 60,
        temperature: 0,
      });
      assert.equal(text, whole.completions[0]!.text, "the streamed text is the whole answer, once");
    } finally {
      await t.close();
    }
  });

  test("step search through the server over llama.cpp's dialect gives the embedded run's answer", async () => {
    const model = new OpenAICompatibleModel({ baseUrl: upstream().url, model: "tiny" });
    const t = await startTestServer(model, { modelName: "tiny" });
    const direct = await loadPolicy(2);
    try {
      const problem = arithProblems(3, 1)[0]!;
      const spec = "beam:n=4,m=2,temperature=0";
      const response = await t.client.completions.create({
        model: `${spec}@tiny`,
        prompt: problem.prompt as string,
        max_tokens: 60,
        seed: 3,
        // @ts-expect-error the deliberate extension
        deliberate: { scorer: "verifier:arith" },
      });
      const scorer = await scorers.create("verifier:arith").open();
      const expected = await runStrategy(createStrategy(spec), problem, arithOptions(direct, { scorer }));
      assert.equal(response.choices[0]!.text, expected.output);
      assert.ok(expected.output.split("\n").length > 2, "more than one step");
    } finally {
      await t.close();
      await direct.close();
    }
  });
});
