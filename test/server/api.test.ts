import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import type { DeliberateExtension } from "../../src/server/index.js";
import { strategies } from "../../src/strategies/registry.js";
import { loadPolicy } from "../helpers/models.js";
import { QUESTION, startTestServer, type TestServer } from "./setup.js";

// biome-ignore lint/suspicious/noExplicitAny: the deliberate extension is not in the openai types
type Loose = any;

describe("deliberate serve: answers OpenAI clients", () => {
  let policy: LlamaCppModel;
  let t: TestServer;
  before(async () => {
    policy = await loadPolicy(4);
    t = await startTestServer(policy, { apiKey: "secret", heartbeatMs: 50 });
  });
  after(async () => {
    await t.close();
    await policy.close();
  });

  test("/v1/models lists the base model and every registered strategy form", async () => {
    const ids: string[] = [];
    for await (const model of t.client.models.list()) ids.push(model.id);
    assert.equal(ids[0], "tiny");
    for (const def of strategies.list()) assert.ok(ids.includes(`${def.name}@tiny`), def.name);
  });

  test("a plain model name passes through: one completion with the client's n", async () => {
    const response = await t.client.chat.completions.create({
      model: "tiny",
      messages: QUESTION,
      n: 2,
      temperature: 1,
      seed: 5,
      max_tokens: 60,
    });
    assert.equal(response.object, "chat.completion");
    assert.equal(response.choices.length, 2);
    assert.ok(response.choices.every((c) => /A:-?\d+/.test(c.message.content ?? "")));
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.equal(ext.strategy, null);
    assert.equal(ext.usage.policy.calls, 1);
    assert.equal(response.usage!.completion_tokens, ext.usage.policy.completionTokens);
    assert.ok(response.usage!.completion_tokens >= 2 * 10);
    assert.equal(typeof response.usage!.prompt_tokens_details?.cached_tokens, "number");
    assert.equal(t.records.at(-1)!.status, 200);
  });

  test("model name STRATEGY@BASE runs the strategy; usage counts every candidate", async () => {
    const response = await t.client.chat.completions.create({
      model: "sc:n=4,temperature=1@tiny",
      messages: QUESTION,
      seed: 7,
      max_tokens: 60,
      deliberate: { include_candidates: true },
    } as Loose);
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.equal(ext.strategy, "self-consistency:n=4,temperature=1,topP=1,topK=0");
    assert.equal(ext.num_candidates, 4);
    assert.equal(ext.candidates!.length, 4);
    assert.equal(ext.stop_reason, "completed");
    assert.ok(ext.chosen >= 0 && ext.chosen < 4);
    const chosen = ext.candidates![ext.chosen]!;
    assert.equal(response.choices[0]!.message.content, chosen.text);
    assert.equal(ext.answer, chosen.answer);
    const votes = (a: string | null) => ext.candidates!.filter((c) => c.answer === a).length;
    assert.ok(
      ext.candidates!.every((c) => votes(c.answer) <= votes(ext.answer!)),
      "a majority answer",
    );
    const sum = ext.candidates!.reduce((s, c) => s + c.completion_tokens, 0);
    assert.equal(response.usage!.completion_tokens, sum);
    assert.equal(response.usage!.total_tokens, response.usage!.prompt_tokens + sum);
    assert.ok(ext.wall_ms >= 0);
  });

  test("candidates are opt-in", async () => {
    const response = await t.client.chat.completions.create({
      model: "sc:n=2@tiny",
      messages: QUESTION,
      max_tokens: 60,
    });
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.equal(ext.num_candidates, 2);
    assert.equal(ext.candidates, undefined);
  });

  test("the deliberate body object selects the strategy and its budget", async () => {
    const response = await t.client.chat.completions.create({
      model: "tiny",
      messages: QUESTION,
      max_tokens: 60,
      deliberate: { strategy: "sc:n=8", budget: { maxCompletionTokens: 80 } },
    } as Loose);
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.match(ext.strategy!, /^self-consistency:n=8/);
    // 8 samples share 80 tokens: each is cut at 10.
    assert.ok(response.usage!.completion_tokens <= 80, String(response.usage!.completion_tokens));
    assert.equal(response.choices[0]!.finish_reason, "length");
  });

  test("the X-Deliberate-Strategy header selects the strategy (completions endpoint)", async () => {
    const response = await t.client.completions.create(
      { model: "tiny", prompt: "Q:57+38-19+44\n", max_tokens: 60, seed: 1 },
      { headers: { "X-Deliberate-Strategy": "sc:n=3" } },
    );
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.match(ext.strategy!, /^self-consistency:n=3/);
    assert.equal(ext.num_candidates, 3);
    assert.match(response.choices[0]!.text, /A:-?\d+/);
  });

  test("a scored strategy reports per-candidate scores", async () => {
    const response = await t.client.chat.completions.create({
      model: "bon:n=3@tiny",
      messages: QUESTION,
      max_tokens: 60,
      deliberate: { scorer: "verifier:arith", include_candidates: true },
    } as Loose);
    const ext = (response as Loose).deliberate as DeliberateExtension;
    assert.equal(ext.candidates!.length, 3);
    assert.ok(ext.candidates!.every((c) => typeof c.score === "number"));
    const best = Math.max(...ext.candidates!.map((c) => c.score!));
    assert.equal(ext.candidates![ext.chosen]!.score, best);
  });

  test("streaming: progress comments, content chunks, the extension and the usage chunk", async () => {
    const stream = await t.client.chat.completions.create({
      model: "sc:n=4@tiny",
      messages: QUESTION,
      max_tokens: 60,
      seed: 11,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let finish: string | null = null;
    let ext: DeliberateExtension | undefined;
    let usage: Loose;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      for (const choice of chunk.choices) {
        content += choice.delta.content ?? "";
        finish = choice.finish_reason ?? finish;
      }
      ext = (chunk as Loose).deliberate ?? ext;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks >= 4);
    assert.equal(finish, "stop");
    assert.match(content, /A:-?\d+/);
    assert.equal(ext!.num_candidates, 4);
    assert.ok(usage.completion_tokens > 4 * 10);
    assert.equal(usage.completion_tokens, ext!.usage.policy.completionTokens);
    // The same seed without streaming gives the same answer.
    const whole = await t.client.chat.completions.create({
      model: "sc:n=4@tiny",
      messages: QUESTION,
      max_tokens: 60,
      seed: 11,
    });
    assert.equal(whole.choices[0]!.message.content, content);
  });

  test("the raw SSE has progress and candidate comments, then data lines and [DONE]", async () => {
    const response = await fetch(`${t.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer secret" },
      body: JSON.stringify({ model: "sc:n=3@tiny", prompt: "Q:12+30-5\n", max_tokens: 60, stream: true }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("x-accel-buffering"), "no");
    const id = response.headers.get("x-request-id")!;
    assert.match(id, /^cmpl-[0-9a-f]{32}$/);
    const text = await response.text();
    assert.ok(text.includes(`"id":"${id}"`), "the chunks carry the request id");
    assert.match(text, /^: progress started strategy=self-consistency/m);
    assert.match(text, /^: progress calls=1 completion_tokens=\d+/m);
    assert.ok((text.match(/^: candidate index=\d/gm)?.length ?? 0) >= 3, "one comment per candidate");
    const firstData = text.indexOf("data: ");
    assert.ok(text.indexOf(": candidate") < firstData, "progress comes before the answer");
    assert.ok(text.trimEnd().endsWith("data: [DONE]"));
  });

  test("plain completions return legacy logprobs", async () => {
    const response = await t.client.completions.create({
      model: "tiny",
      prompt: "Q:57+38-19+44\n",
      max_tokens: 20,
      temperature: 0,
      logprobs: 2,
    });
    const lp = response.choices[0]!.logprobs!;
    assert.equal(lp.tokens!.join(""), response.choices[0]!.text);
    assert.ok(lp.top_logprobs!.every((top) => Object.keys(top!).length === 2));
    assert.equal(lp.text_offset![0], "Q:57+38-19+44\n".length);
  });

  test("/health and /metrics (Prometheus text)", async () => {
    const health = await (await fetch(`${t.url}/health`)).json();
    assert.deepEqual(health, { status: "ok", model: "tiny", in_flight: 0, queued: 0 });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.match(
      metrics,
      /^deliberate_requests_total\{endpoint="\/v1\/chat\/completions",status="200"\} \d+$/m,
    );
    assert.match(metrics, /^deliberate_tokens_total\{kind="completion"\} [1-9]\d*$/m);
    assert.match(metrics, /^deliberate_tokens_total\{kind="cached"\} \d+$/m);
    assert.match(metrics, /^deliberate_request_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    assert.match(metrics, /^deliberate_queue_depth 0$/m);
    assert.match(metrics, /^deliberate_requests_in_flight 0$/m);
  });
});
