import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import { scorers } from "../../src/scorers/registry.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { verifyArithSteps } from "../../src/tasks/arith/index.js";
import { usePolicy, useResource } from "../helpers/models.js";
import { arithOptions, arithProblems } from "../strategies/fixtures.js";

/**
 * A loopback server with vLLM's pooling API for a process reward model (STEP pooling): one
 * `[p_wrong, p_right]` pair per `<extra_0>` in the assistant message. Its "model" is the exact
 * arithmetic verifier, so its step scores are known: 0.9 for a right step, 0.1 from the first wrong one.
 */
async function startPoolingServer() {
  const requests: Record<string, unknown>[] = [];
  const server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as {
      model: string;
      messages: { role: string; content: string }[];
    };
    requests.push(body);
    const question = body.messages.find((m) => m.role === "user")!.content.split("\n")[0]!;
    const steps = body.messages.at(-1)!.content.split("<extra_0>").slice(0, -1);
    const rows = verifyArithSteps(question, steps).map((v) => (v.correct ? [0.1, 0.9] : [0.9, 0.1]));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "pool-1",
        object: "list",
        created: 0,
        model: body.model,
        data: [{ index: 0, object: "pooling", data: rows }],
        usage: { prompt_tokens: 7 * steps.length + 20, total_tokens: 7 * steps.length + 20 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("prm:api=pooling (vLLM's pooling API)", () => {
  const policy = usePolicy(8);
  const server = useResource(startPoolingServer, (s) => s.close());

  test("step scores per separator; best-of-n picks as the exact verifier does", async () => {
    const spec = `prm:${server().url},model=qwen-prm,api=pooling`;
    const prm = await scorers.create(spec).open();
    const verifier = await scorers.create("verifier:arith").open();
    for (const problem of arithProblems(4, 3)) {
      const byPrm = await runStrategy(
        createStrategy("bon:n=6"),
        problem,
        arithOptions(policy(), { scorer: prm }),
      );
      const byVerifier = await runStrategy(
        createStrategy("bon:n=6"),
        problem,
        arithOptions(policy(), { scorer: verifier }),
      );
      assert.equal(byPrm.answer, byVerifier.answer);
      assert.equal(byPrm.scorerUsage.calls, 6, "one pooling request per solution");
      assert.ok(byPrm.scorerUsage.promptTokens > 0);
    }
    const sent = server().requests.at(-1)! as {
      model: string;
      messages: { role: string; content: string }[];
    };
    assert.equal(sent.model, "qwen-prm");
    assert.deepEqual(
      sent.messages.map((m) => m.role),
      ["system", "user", "assistant"],
    );
    assert.match(sent.messages[2]!.content, /^(.+<extra_0>)+$/);
  });

  test("a step count that does not match is an actionable error", async () => {
    const prm = await scorers.create(`prm:${server().url},model=qwen-prm,api=pooling,separator=<sep>`).open();
    await assert.rejects(
      prm.score({ prompt: "Q:1+2\n" }, ["1+2=3\nA:3\n"]),
      /returned 0 step scores for 2 steps/,
    );
    await assert.rejects(scorers.create("prm:api=pooling").open(), /needs a server URL/);
  });
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      data += c;
    });
    req.on("end", () => resolve(data));
  });
}
