import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { createServer } from "../../src/server/index.js";
import { loadPolicy } from "../helpers/models.js";
import { postRaw, QUESTION, startTestServer, type TestServer } from "./setup.js";

// biome-ignore lint/suspicious/noExplicitAny: request bodies with fields the openai types lack
type Loose = any;

/** Asserts that a call fails with an OpenAI error of this status, param and code. */
async function rejectsWith(
  call: Promise<unknown>,
  status: number,
  expected: { param?: string | null; code?: string; message?: RegExp },
): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.equal(error.status, status, error.message);
    const body = error.error as { message: string; type: string; param: string | null; code: string | null };
    assert.equal(typeof body.message, "string");
    assert.equal(typeof body.type, "string");
    assert.ok("param" in body && "code" in body, "the error object has param and code");
    if (expected.param !== undefined) assert.equal(body.param, expected.param);
    if (expected.code !== undefined) assert.equal(body.code, expected.code);
    if (expected.message) assert.match(body.message, expected.message);
    return true;
  });
}

describe("deliberate serve: errors", () => {
  let policy: LlamaCppModel;
  let t: TestServer;
  before(async () => {
    policy = await loadPolicy(4);
    t = await startTestServer(policy, {
      apiKey: "secret",
      limits: { maxBodyBytes: 4096, maxChoices: 4, maxTokens: 256, maxBudgetTokens: 1000 },
    });
  });
  after(async () => {
    await t.close();
    await policy.close();
  });

  const chat = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.client.chat.completions.create(
      { model: "tiny", messages: QUESTION, max_tokens: 20, ...body } as Loose,
      {
        headers,
      },
    );

  test("401 without an API key or with a wrong one", async () => {
    const wrong = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    await rejectsWith(wrong.chat.completions.create({ model: "tiny", messages: QUESTION }), 401, {
      code: "invalid_api_key",
      message: /^Invalid API Key/,
    });
    const none = await postRaw(
      `${t.url}/v1/chat/completions`,
      JSON.stringify({ model: "tiny", messages: QUESTION }),
    );
    assert.equal(none.status, 401);
    assert.match(none.body.error!.message, /none was sent/);
    assert.equal(none.body.error!.code, "invalid_api_key");
    await rejectsWith(wrong.models.list(), 401, { code: "invalid_api_key" });
    // Not a bearer header at all: still OpenAI's 401, not a bare 400.
    const basic = await postRaw(`${t.url}/v1/completions`, "{}", { authorization: "Basic c2VjcmV0" });
    assert.equal(basic.status, 401);
    assert.deepEqual(Object.keys(basic.body.error!).sort(), ["code", "message", "param", "type"]);
    assert.equal(basic.body.error!.code, "invalid_api_key");
    assert.match(basic.headers.get("www-authenticate")!, /^Bearer /);
    assert.match(basic.headers.get("content-type")!, /^application\/json/);
  });

  test("an API key a bearer header cannot carry is refused when the server is created", () => {
    assert.throws(
      () => createServer({ model: policy, apiKey: "two words" }),
      /API key must be a bearer token/,
    );
  });

  test("404 for an unknown model, an unknown base behind a strategy, and an unknown route", async () => {
    await rejectsWith(chat({ model: "gpt-4o" }), 404, { param: "model", code: "model_not_found" });
    await rejectsWith(chat({ model: "sc:n=4@other" }), 404, { param: "model", code: "model_not_found" });
    const route = await postRaw(`${t.url}/v1/embeddings`, "{}", { authorization: "Bearer secret" });
    assert.equal(route.status, 404);
    assert.equal(route.body.error!.code, "unknown_url");
  });

  test("405 with Allow for a known route asked with the wrong method", async () => {
    const get = await fetch(`${t.url}/v1/chat/completions`, { headers: { authorization: "Bearer secret" } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    const body = (await get.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "method_not_allowed");
    const post = await fetch(`${t.url}/v1/models`, {
      method: "POST",
      headers: { authorization: "Bearer secret" },
    });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET");
    const unknown = await fetch(`${t.url}/v1/nothing`, { headers: { authorization: "Bearer secret" } });
    assert.equal(unknown.status, 404);
  });

  test("400 for bad strategy specs, naming where the spec came from", async () => {
    await rejectsWith(chat({ model: "nosuch:n=2@tiny" }), 400, {
      param: "model",
      message: /unknown strategy/,
    });
    await rejectsWith(chat({ model: "sc:n=0@tiny" }), 400, { param: "model", message: /"n"/ });
    await rejectsWith(chat({ deliberate: { strategy: "sc:bogus=1" } }), 400, {
      param: "deliberate.strategy",
      message: /unknown parameter "bogus"/,
    });
    await rejectsWith(chat({}, { "X-Deliberate-Strategy": "nosuch" }), 400, {
      param: "x-deliberate-strategy",
    });
  });

  test("400 for bad parameters, with the parameter named", async () => {
    await rejectsWith(chat({ messages: undefined }), 400, {
      param: "messages",
      code: "missing_required_parameter",
    });
    await rejectsWith(chat({ messages: [] }), 400, { param: "messages" });
    await rejectsWith(chat({ messages: [{ role: "tool", content: "x" }] }), 400, {
      param: "messages.0.role",
    });
    await rejectsWith(chat({ n: 0 }), 400, { param: "n" });
    await rejectsWith(chat({ n: 5 }), 400, { param: "n", message: /Value must be between 1 <= value <= 4/ });
    await rejectsWith(chat({ temperature: -1 }), 400, { param: "temperature" });
    await rejectsWith(chat({ top_p: 0 }), 400, { param: "top_p" });
    await rejectsWith(chat({ max_tokens: 257 }), 400, { param: "max_tokens" });
    await rejectsWith(chat({ stop: [""] }), 400, { param: "stop.0" });
    await rejectsWith(chat({ model: "sc:n=2@tiny", n: 2 }), 400, { param: "n" });
    await rejectsWith(chat({ deliberate: { strategy: "sc", budget: { maxCompletionTokens: 1001 } } }), 400, {
      param: "deliberate.budget.maxCompletionTokens",
    });
    await rejectsWith(chat({ deliberate: { strategy: "sc", budget: { maxCompletionTokens: -5 } } }), 400, {
      param: "deliberate.budget.maxCompletionTokens",
    });
    await rejectsWith(chat({ deliberate: { strategy: "sc", surprise: true } }), 400, { param: "deliberate" });
    await rejectsWith(
      t.client.completions.create({ model: "tiny", prompt: "Q:1+2\n", echo: true, max_tokens: 5 }),
      400,
      { param: "echo" },
    );
  });

  test("400 for scorers: needed but missing, unknown, or naming a file", async () => {
    await rejectsWith(chat({ model: "bon:n=2@tiny" }), 400, {
      param: "deliberate.scorer",
      code: "scorer_required",
    });
    await rejectsWith(chat({ model: "bon:n=2@tiny", deliberate: { scorer: "nosuch" } }), 400, {
      param: "deliberate.scorer",
      message: /unknown scorer/,
    });
    await rejectsWith(chat({ model: "bon:n=2@tiny", deliberate: { scorer: "prm:/etc/passwd" } }), 400, {
      param: "deliberate.scorer",
      message: /may not name a model file/,
    });
  });

  test("400 for a body that is not JSON or not an object", async () => {
    const auth = { authorization: "Bearer secret" };
    const broken = await postRaw(`${t.url}/v1/chat/completions`, "{not json", auth);
    assert.equal(broken.status, 400);
    assert.deepEqual(Object.keys(broken.body.error!).sort(), ["code", "message", "param", "type"]);
    assert.equal(broken.body.error!.type, "invalid_request_error");
    assert.equal(broken.body.error!.code, "invalid_json");
    const array = await postRaw(`${t.url}/v1/completions`, "[1,2]", auth);
    assert.equal(array.status, 400);
  });

  test("413 for a body over the limit", async () => {
    const big = JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "x".repeat(5000) }] });
    const response = await postRaw(`${t.url}/v1/chat/completions`, big, { authorization: "Bearer secret" });
    assert.equal(response.status, 413);
    assert.equal(response.body.error!.code, "request_too_large");
    await rejectsWith(chat({ messages: [{ role: "user", content: "y".repeat(5000) }] }), 413, {
      code: "request_too_large",
    });
  });

  test("errors are counted by status in /metrics", async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    for (const status of [400, 401, 404, 413]) {
      assert.match(metrics, new RegExp(`status="${status}"\\} [1-9]`), `status ${status}`);
    }
  });
});

describe("deliberate serve: admission control", () => {
  let policy: LlamaCppModel;
  let t: TestServer;
  before(async () => {
    policy = await loadPolicy(2);
    t = await startTestServer(policy, { maxConcurrency: 1, maxQueue: 1 });
  });
  after(async () => {
    await t.close();
    await policy.close();
  });

  test("429 with Retry-After when the queue is full; queued requests still finish", async () => {
    const long = () =>
      t.client.chat.completions.create({ model: "sc:n=16@tiny", messages: QUESTION, max_tokens: 60 });
    const first = long();
    await waitFor(() => t.server.metrics.inFlight === 1);
    const second = long();
    await waitFor(() => t.server.metrics.queueDepth === 1);
    const health = (await (await fetch(`${t.url}/health`)).json()) as { queued: number };
    assert.equal(health.queued, 1);
    const refused = await t.client.chat.completions
      .create({ model: "tiny", messages: QUESTION, max_tokens: 5, stream: true })
      .withResponse()
      .catch((e: unknown) => e);
    assert.ok(refused instanceof OpenAI.APIError);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers?.get("retry-after"), "1");
    assert.equal((refused.error as { code: string }).code, "rate_limit_exceeded");
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.choices.length, 1);
    assert.equal(b.choices.length, 1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
