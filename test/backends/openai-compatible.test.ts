import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { OpenAICompatibleModel } from "../../src/backends/openai-compatible/index.js";
import { BackendError, ConfigError } from "../../src/core/errors.js";
import { createServer as createDeliberateServer, type DeliberateServer } from "../../src/server/index.js";
import { readBody } from "../helpers/dialect-servers.js";
import { ARITH_PROMPT, loadPolicy } from "../helpers/models.js";

// These run against `deliberate serve` (src/server) on loopback over the real embedded model, set up
// like llama.cpp's server: at most 2 choices per request ("Value must be between 1 <= value <= 2").
// A small proxy in front of it records the completion requests and injects 503s. How each server
// dialect is read is tested in openai-compatible-conformance.test.ts.
describe("OpenAI-compatible backend against deliberate serve", () => {
  let policy: LlamaCppModel;
  let deliberate: DeliberateServer;
  let server: Proxy;
  before(async () => {
    policy = await loadPolicy(8);
    deliberate = createDeliberateServer({
      model: policy,
      modelName: "tiny",
      apiKey: "secret",
      limits: { maxChoices: 2 },
    });
    const { url } = await deliberate.listen({ port: 0 });
    server = await startProxy(`${url}/v1`);
  });
  after(async () => {
    await server.close();
    await deliberate.close();
    await policy.close();
  });

  const client = (extra: Partial<ConstructorParameters<typeof OpenAICompatibleModel>[0]> = {}) =>
    new OpenAICompatibleModel({
      baseUrl: server.url,
      model: "tiny",
      apiKey: "secret",
      backoffMs: 10,
      ...extra,
    });

  test("completions: n above the server's cap is split, seeds follow seed + i", async () => {
    const model = client();
    const before = server.requests.length;
    const response = await model.complete({
      prompt: ARITH_PROMPT,
      n: 5,
      temperature: 1,
      seed: 40,
      maxTokens: 50,
    });
    assert.equal(response.completions.length, 5);
    // One refused request (n=5), then chunks of at most 2.
    const sent = server.requests.slice(before).map((r) => r.body.n);
    assert.deepEqual(sent.slice(0, 1), [5]);
    assert.ok(sent.slice(1).every((n) => Number(n) <= 2));
    const direct = await policy.complete({
      prompt: ARITH_PROMPT,
      n: 1,
      temperature: 1,
      seed: 43,
      maxTokens: 50,
    });
    assert.equal(response.completions[3]!.text, direct.completions[0]!.text);
  });

  test("chat prompts go to /chat/completions and stop strings are passed", async () => {
    const model = client();
    const response = await model.complete({
      prompt: { messages: [{ role: "user", content: "57+38-19+44" }] },
      temperature: 0,
      stop: ["\n"],
      maxTokens: 40,
    });
    const last = server.requests.at(-1)!;
    assert.ok(last.path.endsWith("/chat/completions"));
    assert.deepEqual(last.body.stop, ["\n"]);
    assert.ok(!response.completions[0]!.text.includes("\n"));
  });

  test("top-k and min-p reach a server without sampling defaults of its own only when they truncate", async () => {
    const model = client();
    await model.complete({
      prompt: "57+38-19+44",
      temperature: 0.8,
      topK: 5,
      minP: 0.1,
      maxTokens: 4,
      seed: 1,
    });
    const truncated = server.requests.at(-1)!.body;
    assert.equal(truncated.top_k, 5);
    assert.equal(truncated.min_p, 0.1);
    await model.complete({ prompt: "57+38-19+44", temperature: 0.8, maxTokens: 4, seed: 1 });
    const plain = server.requests.at(-1)!.body;
    assert.equal("top_k" in plain, false);
    assert.equal("min_p" in plain, false);
  });

  test("logprobs come back per token", async () => {
    const model = client();
    const { completions } = await model.complete({
      prompt: ARITH_PROMPT,
      temperature: 0.7,
      seed: 1,
      logprobs: true,
      topLogprobs: 2,
      maxTokens: 30,
    });
    const lp = completions[0]!.logprobs!;
    assert.equal(lp.map((t) => t.token).join(""), completions[0]!.text);
    assert.ok(lp.every((t) => Number.isFinite(t.logprob) && Object.keys(t.top ?? {}).length === 2));
  });

  test("retries 5xx answers with backoff", async () => {
    const flaky = await startProxy(server.target, 2);
    try {
      const model = new OpenAICompatibleModel({
        baseUrl: flaky.url,
        model: "tiny",
        apiKey: "secret",
        backoffMs: 5,
      });
      const response = await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 10 });
      assert.equal(response.completions.length, 1);
      assert.equal(flaky.requests.length, 3);
    } finally {
      await flaky.close();
    }
  });

  test("a wrong API key fails at once with the server's message", async () => {
    const model = client({ apiKey: "wrong" });
    const before = server.requests.length;
    await assert.rejects(model.complete({ prompt: ARITH_PROMPT, maxTokens: 5 }), (e: Error) => {
      assert.ok(e instanceof BackendError);
      assert.equal(e.status, 401);
      assert.match(e.message, /HTTP 401: Invalid API Key/);
      return true;
    });
    assert.equal(server.requests.length, before + 1, "not retried");
  });

  test("an unreachable server is a BackendError that names it", async () => {
    const port = await closedPort();
    const model = new OpenAICompatibleModel({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: "x",
      maxRetries: 1,
      backoffMs: 5,
    });
    await assert.rejects(
      model.complete({ prompt: "hi" }),
      new RegExp(`cannot reach http://127.0.0.1:${port}/v1/(models|completions): ECONNREFUSED`),
    );
  });

  test("bad options and missing capabilities are typed errors", async () => {
    assert.throws(() => new OpenAICompatibleModel({ baseUrl: "not a url", model: "x" }), ConfigError);
    assert.throws(() => new OpenAICompatibleModel({ baseUrl: server.url, model: "" }), /model name/);
    // Without promptLogprobs the model has no score(): the contract every caller checks.
    assert.equal(client().score, undefined);
    await assert.rejects(client().complete({ prompt: "a", n: 0 }), /n must be/);
  });

  test("abort cancels a request", async () => {
    const controller = new AbortController();
    const pending = client().complete({
      prompt: ARITH_PROMPT,
      n: 2,
      maxTokens: 200,
      signal: controller.signal,
    });
    controller.abort();
    await assert.rejects(pending, /aborted/);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Proxy {
  url: string;
  target: string;
  requests: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * A fault-injecting proxy in front of a server: records every POST, answers the first `failFirst`
 * with 503, and passes GETs (`/models`) through.
 */
async function startProxy(target: string, failFirst = 0): Promise<Proxy> {
  const requests: Proxy["requests"] = [];
  let failuresLeft = failFirst;
  const proxy = createHttpServer(async (req, res) => {
    const text = await readBody(req);
    const path = (req.url ?? "").replace(/^\/v1/, "");
    if (req.method === "GET") {
      const upstream = await fetch(`${target}${path}`, {
        headers: req.headers.authorization ? { authorization: req.headers.authorization } : {},
      });
      res.writeHead(upstream.status, { "content-type": "application/json" });
      res.end(await upstream.text());
      return;
    }
    const body = JSON.parse(text || "{}") as Record<string, unknown>;
    requests.push({ path, body });
    if (failuresLeft > 0) {
      failuresLeft--;
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "Loading model", type: "unavailable_error" } }));
      return;
    }
    const upstream = await fetch(`${target}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      },
      body: text,
    });
    const answer = await upstream.text();
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(answer);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    target,
    requests,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}
