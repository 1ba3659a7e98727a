import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { ConfigError, ModelLoadError } from "../../src/core/errors.js";
import { embeddedModels } from "../../src/defaults.js";
import { ARITH_PROMPT, loadPolicy } from "../helpers/models.js";

describe("embedded llama.cpp backend on the project's policy model", () => {
  let model: LlamaCppModel;
  before(async () => {
    model = await loadPolicy(8);
  });
  after(async () => {
    await model.close();
  });

  test("declares its capabilities", () => {
    assert.deepEqual(model.capabilities, {
      logprobs: true,
      promptLogprobs: true,
      maxParallel: 8,
      chat: true,
    });
  });

  test("n parallel samples are distinct and reproducible from the seed", async () => {
    const request = { prompt: ARITH_PROMPT, n: 8, temperature: 1, seed: 11, maxTokens: 60 };
    const first = await model.complete(request);
    const again = await model.complete(request);
    const texts = first.completions.map((c) => c.text);
    assert.equal(texts.length, 8);
    assert.ok(new Set(texts).size >= 3, `expected varied samples, got ${new Set(texts).size} distinct`);
    assert.deepEqual(
      again.completions.map((c) => c.text),
      texts,
    );
    // Sample i of a request with seed s is the single sample of seed s + i.
    const single = await model.complete({ ...request, n: 1, seed: 11 + 5 });
    assert.equal(single.completions[0]!.text, texts[5]);
    const other = await model.complete({ ...request, seed: 12 });
    assert.notDeepEqual(
      other.completions.map((c) => c.text),
      texts,
    );
  });

  test("the samples of a request over a prompt no sequence holds decode in one batch per step", async () => {
    // Count llama.cpp batches by watching the context's native batch calls.
    const context = (model as unknown as { context: { _ctx: Record<string, unknown> } }).context;
    const native = context._ctx;
    let batches = 0;
    context._ctx = new Proxy(native, {
      get(target, key) {
        const value = target[key as string];
        if (key === "decodeBatch") batches++;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    try {
      const maxTokens = 24;
      const response = await model.complete({
        prompt: "Q:83+12-40+7\n",
        n: 8,
        temperature: 1,
        seed: 5,
        maxTokens,
      });
      const longest = Math.max(...response.completions.map((c) => c.completionTokens));
      // About one batch per generated step: samples run side by side. Run one after
      // another, 8 samples would take about 8 × their length.
      assert.ok(batches <= 2 * longest, `${batches} batches for samples of at most ${longest} tokens`);
    } finally {
      context._ctx = native;
    }
  });

  test("a long-lived signal keeps no listeners from requests that are done", async () => {
    const run = new AbortController();
    for (let i = 0; i < 3; i++) {
      // n above the 8 sequences: groups wait for sequences on the signal.
      await model.complete({
        prompt: ARITH_PROMPT,
        n: 20,
        temperature: 1,
        seed: i,
        maxTokens: 6,
        signal: run.signal,
      });
    }
    assert.equal(getEventListeners(run.signal, "abort").length, 0);
  });

  test("more samples than sequences are generated in groups, same results", async () => {
    const request = { prompt: ARITH_PROMPT, n: 12, temperature: 1, seed: 3, maxTokens: 60 };
    const response = await model.complete(request);
    assert.equal(response.completions.length, 12);
    const last = await model.complete({ ...request, n: 1, seed: 3 + 11 });
    assert.equal(last.completions[0]!.text, response.completions[11]!.text);
  });

  test("greedy decoding is deterministic and ends at end of text", async () => {
    const request = { prompt: ARITH_PROMPT, temperature: 0, maxTokens: 80 };
    const c = (await model.complete(request)).completions[0]!;
    assert.equal(
      (await model.complete({ ...request, seed: 99 })).completions[0]!.text,
      c.text,
      "no seed dependence",
    );
    assert.match(c.text, /^57\+38=\d+\n/);
    assert.match(c.text, /A:-?\d+\n?$/);
    assert.equal(c.finishReason, "stop");
    assert.equal(c.stopSequence, undefined);
  });

  test("a stop string ends a step and is reported, not returned", async () => {
    const full = (await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 80 }))
      .completions[0]!;
    const firstLine = full.text.slice(0, full.text.indexOf("\n"));
    const { completions } = await model.complete({
      prompt: ARITH_PROMPT,
      temperature: 0,
      stop: ["\n"],
      maxTokens: 80,
    });
    const c = completions[0]!;
    assert.equal(c.text, firstLine);
    assert.equal(c.finishReason, "stop");
    assert.equal(c.stopSequence, "\n");
    assert.equal(c.completionTokens, firstLine.length + 1, "one token per character, and the newline");
  });

  test("maxTokens cuts generation with finishReason length", async () => {
    const { completions } = await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 4 });
    assert.equal(completions[0]!.text, "57+3");
    assert.equal(completions[0]!.finishReason, "length");
    assert.equal(completions[0]!.completionTokens, 4);
  });

  test("continues from an assistant-side prefix", async () => {
    const full = (await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 80 }))
      .completions[0]!.text;
    const prefix = full.slice(0, full.indexOf("\n") + 1);
    const rest = await model.complete({ prompt: ARITH_PROMPT, prefix, temperature: 0, maxTokens: 80 });
    assert.equal(prefix + rest.completions[0]!.text, full);
  });

  test("chat messages render through the model's template", async () => {
    const raw = await model.complete({ prompt: ARITH_PROMPT, temperature: 0, maxTokens: 80 });
    const chat = await model.complete({
      prompt: { messages: [{ role: "user", content: "57+38-19+44" }] },
      temperature: 0,
      maxTokens: 80,
    });
    assert.equal(chat.completions[0]!.text, raw.completions[0]!.text);
    assert.deepEqual(
      model.encodePrompt({ messages: [{ role: "user", content: "Q:57+38-19+44" }] }),
      model.encodePrompt(ARITH_PROMPT),
    );
  });

  test("logprobs are finite and match scoring the same continuation", async () => {
    const { completions } = await model.complete({
      prompt: ARITH_PROMPT,
      n: 3,
      temperature: 0.8,
      seed: 5,
      logprobs: true,
      topLogprobs: 3,
      maxTokens: 60,
    });
    for (const c of completions) {
      assert.ok(c.logprobs && c.logprobs.length > 0);
      assert.equal(c.logprobs.map((t) => t.token).join(""), c.text);
      for (const t of c.logprobs) {
        assert.ok(Number.isFinite(t.logprob) && t.logprob <= 0, `logprob ${t.logprob}`);
        assert.equal(Object.keys(t.top ?? {}).length, 3);
      }
      const scored = await model.score({ prompt: ARITH_PROMPT, continuation: c.text });
      assert.equal(scored.tokens.length, c.logprobs.length);
      scored.tokens.forEach((t, i) => {
        assert.equal(t.token, c.logprobs![i]!.token);
        assert.ok(
          Math.abs(t.logprob - c.logprobs![i]!.logprob) < 1e-3,
          `token ${i}: ${t.logprob} vs ${c.logprobs![i]!.logprob}`,
        );
      });
    }
  });

  test("usage adds up and a shared prompt is evaluated once", async () => {
    const prompt = "Q:23+45-12+30-7\n";
    const first = await model.complete({ prompt, n: 8, temperature: 1, seed: 9, maxTokens: 60 });
    const promptLength = model.encodePrompt(prompt).length;
    assert.equal(first.usage.calls, 1);
    assert.equal(first.usage.promptTokens, promptLength, "a request's samples share its prompt");
    assert.equal(
      first.usage.completionTokens,
      first.completions.reduce((s, c) => s + c.completionTokens, 0),
    );
    // Asking again reuses the KV state of the prompt.
    const second = await model.complete({ prompt, n: 8, temperature: 1, seed: 10, maxTokens: 60 });
    assert.ok(
      second.usage.cachedPromptTokens >= promptLength - 1,
      `cached ${second.usage.cachedPromptTokens}`,
    );
  });

  test("a request's prompt is counted once when its samples need several groups of sequences", async () => {
    // 20 samples over 8 sequences: three groups, one request, one prompt.
    const prompt = "Q:61-17+28-30+9\n";
    const length = model.encodePrompt(prompt).length;
    const { usage, completions } = await model.complete({
      prompt,
      n: 20,
      temperature: 1,
      seed: 3,
      maxTokens: 40,
    });
    assert.equal(completions.length, 20);
    assert.equal(usage.calls, 1);
    assert.equal(usage.promptTokens, length);
    // Only the "<s>Q:" every earlier prompt shares can come from the cache.
    assert.ok(usage.cachedPromptTokens <= 3, `cached ${usage.cachedPromptTokens}`);
    const again = await model.complete({ prompt, n: 20, temperature: 1, seed: 3, maxTokens: 40 });
    assert.equal(again.usage.promptTokens, length);
    assert.equal(again.usage.cachedPromptTokens, length - 1, "cached up to the fan-out token");
  });

  test("abort stops generation and counts only generated tokens", async () => {
    const controller = new AbortController();
    const pending = model.complete({
      prompt: ARITH_PROMPT,
      n: 4,
      temperature: 1,
      seed: 1,
      maxTokens: 200,
      signal: controller.signal,
    });
    setImmediate(() => controller.abort());
    const { completions, usage } = await pending;
    assert.ok(completions.some((c) => c.finishReason === "abort"));
    assert.equal(
      usage.completionTokens,
      completions.reduce((s, c) => s + c.completionTokens, 0),
    );
  });

  test("an abort while samples wait for sequences still returns every sample and its tokens", async () => {
    // 20 samples over 8 sequences: the later groups are still waiting when the abort comes.
    const controller = new AbortController();
    const pending = model.complete({
      prompt: ARITH_PROMPT,
      n: 20,
      temperature: 1,
      seed: 2,
      maxTokens: 200,
      signal: controller.signal,
    });
    setImmediate(() => controller.abort());
    const { completions, usage } = await pending;
    assert.equal(completions.length, 20);
    assert.ok(completions.slice(8).every((c) => c.finishReason === "abort" && c.completionTokens === 0));
    assert.equal(
      usage.completionTokens,
      completions.reduce((s, c) => s + c.completionTokens, 0),
    );
  });

  test("bad requests fail with a ConfigError naming the parameter", async () => {
    await assert.rejects(model.complete({ prompt: ARITH_PROMPT, n: 0 }), /n must be an integer/);
    await assert.rejects(model.complete({ prompt: ARITH_PROMPT, n: 100_000 }), ConfigError);
    await assert.rejects(model.complete({ prompt: ARITH_PROMPT, temperature: -1 }), /temperature/);
    await assert.rejects(model.complete({ prompt: "Q:1+1\n".repeat(400) }), /context holds/);
  });
});

describe("loading models", () => {
  test("a missing file is a ModelLoadError that says what to pass", async () => {
    await assert.rejects(LlamaCppModel.load({ model: "/nonexistent/model.gguf" }), (e: Error) => {
      assert.ok(e instanceof ModelLoadError);
      assert.match(e.message, /model file not found: .* — give the path of a \.gguf file/);
      return true;
    });
  });
  test("a corrupt file is a ModelLoadError", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deliberate-"));
    const file = path.join(dir, "broken.gguf");
    writeFileSync(file, "GGUF this is not a model");
    await assert.rejects(LlamaCppModel.load({ model: file, gpu: false }), /unsupported GGUF version/);
    writeFileSync(file, Buffer.alloc(4096, 7));
    await assert.rejects(LlamaCppModel.load({ model: file, gpu: false }), /not a GGUF file/);
    // A real model cut short after its header.
    writeFileSync(file, readFileSync(embeddedModels.policy).subarray(0, 100_000));
    await assert.rejects(LlamaCppModel.load({ model: file, gpu: false }), ModelLoadError);
  });
});
