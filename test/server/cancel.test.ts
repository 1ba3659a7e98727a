import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { requestLogLine } from "../../src/server/log.js";
import { loadPolicy } from "../helpers/models.js";
import { QUESTION, startTestServer, type TestServer } from "./setup.js";

// With 2 sequences, 256 samples take many seconds: long enough to disconnect in the middle.
const LONG = { model: "sc:n=256@tiny", messages: QUESTION, max_tokens: 60 };

describe("deliberate serve: cancellation and shutdown", () => {
  let policy: LlamaCppModel;
  let t: TestServer;
  before(async () => {
    policy = await loadPolicy(2);
    t = await startTestServer(policy, { heartbeatMs: 50 });
  });
  after(async () => {
    await t.close();
    await policy.close();
  });

  test("a client disconnect mid-stream aborts generation: 499, tokens stop, the model is free", async () => {
    const ended = t.nextRecord();
    const stream = await t.client.chat.completions.create({ ...LONG, stream: true });
    const metrics = t.server.metrics;
    for await (const _chunk of stream) break; // the role chunk: generation is under way
    await waitFor(() => metrics.inFlight === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const abortedAt = performance.now();
    stream.controller.abort();
    const record = await ended;
    const reactionMs = performance.now() - abortedAt;
    assert.equal(record.status, 499);
    assert.equal(record.aborted, true);
    assert.equal(record.stream, true);
    assert.ok(reactionMs < 1500, `generation stopped ${reactionMs.toFixed(0)} ms after the disconnect`);
    assert.equal(metrics.inFlight, 0);
    const tokens = metrics.tokens.completion;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(metrics.tokens.completion, tokens, "no more tokens are generated");
    const started = performance.now();
    const next = await t.client.chat.completions.create({
      model: "tiny",
      messages: QUESTION,
      max_tokens: 60,
    });
    assert.match(next.choices[0]!.message.content!, /A:/);
    assert.ok(performance.now() - started < 2000, "the sequences were released");
    const text = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(text, /status="499"\} 1/);
  });

  test("the work of an aborted request is counted: its record, its log line, tokens_total", async () => {
    // Each sample its own call (first-finish waiting for all): those done before the disconnect,
    // and those cut off by it, return with their tokens.
    const ended = t.nextRecord();
    const controller = new AbortController();
    const metrics = t.server.metrics;
    const before = metrics.tokens.completion;
    const pending = t.client.chat.completions.create(
      { model: "first-finish:n=256,k=256@tiny", messages: QUESTION, max_tokens: 60 },
      { signal: controller.signal },
    );
    await waitFor(() => metrics.tokens.completion > before, 30_000);
    controller.abort();
    await assert.rejects(pending, OpenAI.APIUserAbortError);
    const record = await ended;
    assert.equal(record.status, 499);
    assert.ok(record.usage.completionTokens > 0, JSON.stringify(record.usage));
    assert.equal(metrics.tokens.completion - before, record.usage.completionTokens);
    assert.match(
      requestLogLine(record)!,
      new RegExp(
        `^499 /v1/chat/completions ${record.id} aborted after \\d+ ms strategy=first-finish\\S* stream=false tokens prompt=\\d+ cached=\\d+ completion=${record.usage.completionTokens} calls=\\d+$`,
      ),
    );
  });

  test("a non-streaming client that goes away is cancelled too", async () => {
    const ended = t.nextRecord();
    const controller = new AbortController();
    const pending = t.client.chat.completions.create(LONG, { signal: controller.signal });
    await waitFor(() => t.server.metrics.inFlight === 1);
    controller.abort();
    await assert.rejects(pending, OpenAI.APIUserAbortError);
    const record = await ended;
    assert.equal(record.status, 499);
    assert.equal(record.aborted, true);
    assert.equal(record.stream, false);
  });
});

describe("deliberate serve: graceful shutdown", () => {
  let policy: LlamaCppModel;
  before(async () => {
    policy = await loadPolicy(2);
  });
  after(async () => {
    await policy.close();
  });

  test("in-flight requests finish within the deadline; new connections are refused", async () => {
    const t = await startTestServer(policy);
    const pending = t.client.chat.completions.create({
      model: "sc:n=2@tiny",
      messages: QUESTION,
      max_tokens: 60,
    });
    await waitFor(() => t.server.metrics.inFlight === 1);
    const closed = t.server.close({ deadlineMs: 10_000 });
    const answer = await pending;
    assert.match(answer.choices[0]!.message.content!, /A:/);
    await closed;
    await assert.rejects(fetch(`${t.url}/health`), /fetch failed/);
  });

  test("past the deadline, in-flight requests are cancelled with 503 (streams get an error event)", async () => {
    const t = await startTestServer(policy);
    const plain = t.client.chat.completions.create(LONG).catch((e: unknown) => e);
    const stream = await t.client.chat.completions.create({ ...LONG, stream: true });
    await waitFor(() => t.server.metrics.inFlight + t.server.metrics.queueDepth === 2);
    const started = performance.now();
    await t.server.close({ deadlineMs: 200 });
    assert.ok(performance.now() - started < 3000);
    const error = await plain;
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 503);
    assert.equal((error.error as { code: string }).code, "server_shutting_down");
    await assert.rejects(
      (async () => {
        for await (const _chunk of stream) {
        }
      })(),
      /shutting down/,
    );
    assert.ok(t.records.every((r) => r.status === 503 && r.aborted));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
