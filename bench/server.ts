/**
 * `deliberate serve` overhead and behaviour under load, on loopback only.
 *
 *   npx tsx bench/server.ts [--iterations 300] [--concurrent 200] [--max-concurrency 8]
 *
 * 1. Added latency: the same strategy called in-process (`runStrategy`) and through the server with
 *    a keep-alive HTTP client, interleaved, on (a) a stub model that answers at once (pure server
 *    overhead: routing, validation, JSON, HTTP) and (b) the embedded tiny model (`greedy`, 12 tokens).
 * 2. Load: `--concurrent` simultaneous requests against `--max-concurrency` slots, once with a
 *    queue smaller than the burst (429s expected) and once with room for all (queueing). Prints
 *    status counts, latency percentiles, the deepest queue, peak RSS and that the server survived.
 * Prints figures, asserts nothing.
 */
import http from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import type { LanguageModel } from "../src/core/model.js";
import type { Problem } from "../src/core/prompt.js";
import { emptyUsage } from "../src/core/usage.js";
import { embeddedModels } from "../src/defaults.js";
import { mathEqual } from "../src/scorers/math/equivalence.js";
import { extractAnswer } from "../src/scorers/math/extract.js";
import { createServer } from "../src/server/index.js";
import { createStrategy } from "../src/strategies/registry.js";
import { runStrategy } from "../src/strategies/run.js";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "300" },
    concurrent: { type: "string", default: "200" },
    "max-concurrency": { type: "string", default: "8" },
  },
});
const iterations = Number(values.iterations);
const concurrent = Number(values.concurrent);
const maxConcurrency = Number(values["max-concurrency"]);

const messages = [{ role: "user" as const, content: "57+38-19+44" }];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function post(port: number, path: string, payload: unknown): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A model that answers at once with a fixed solution: isolates the server's own cost. */
const stub: LanguageModel = {
  id: "stub",
  capabilities: { logprobs: false, promptLogprobs: false, maxParallel: 64, chat: true },
  async complete(request) {
    const n = request.n ?? 1;
    const text = "57+38=95\n95-19=76\n76+44=120\nA:120\n";
    return {
      completions: Array.from({ length: n }, () => ({
        text,
        finishReason: "stop" as const,
        completionTokens: 35,
      })),
      usage: { ...emptyUsage(), promptTokens: 15, completionTokens: 35 * n, calls: 1 },
    };
  },
  async close() {},
};

async function addedLatency(label: string, model: LanguageModel, spec: string, maxTokens: number) {
  const server = createServer({ model, modelName: "m", maxConcurrency: 64 });
  const { port } = await server.listen({ port: 0 });
  const problem: Problem = { prompt: { messages } };
  const inProcess: number[] = [];
  const viaServer: number[] = [];
  const strategy = createStrategy(spec);
  const direct = () =>
    runStrategy(strategy, problem, {
      model,
      seed: 1,
      // The server's defaults: math answer extraction and equivalence.
      extractAnswer: (t) => extractAnswer(t),
      sameAnswer: mathEqual,
      defaults: { maxTokens },
    });
  const remote = () =>
    post(port, "/v1/chat/completions", { model: `${spec}@m`, messages, max_tokens: maxTokens, seed: 1 });
  for (let i = 0; i < 30; i++) {
    await direct();
    await remote();
  }
  for (let i = 0; i < iterations; i++) {
    let t = performance.now();
    await direct();
    inProcess.push(performance.now() - t);
    t = performance.now();
    const { status } = await remote();
    viaServer.push(performance.now() - t);
    if (status !== 200) throw new Error(`status ${status}`);
  }
  await server.close();
  // Pairs ran back to back, so their differences cancel most of the machine's noise.
  const added = viaServer.map((ms, i) => ms - inProcess[i]!).sort((a, b) => a - b);
  inProcess.sort((a, b) => a - b);
  viaServer.sort((a, b) => a - b);
  const fmt = (x: number) => x.toFixed(3).padStart(7);
  console.log(
    `${label.padEnd(28)} in-process p50 ${fmt(percentile(inProcess, 50))} p99 ${fmt(percentile(inProcess, 99))} | server p50 ${fmt(percentile(viaServer, 50))} p99 ${fmt(percentile(viaServer, 99))} | added (paired) p50 ${fmt(percentile(added, 50))} p90 ${fmt(percentile(added, 90))} p99 ${fmt(percentile(added, 99))}`,
  );
}

async function load(model: LanguageModel, maxQueue: number) {
  const server = createServer({ model, modelName: "tiny", maxConcurrency, maxQueue });
  const { port } = await server.listen({ port: 0 });
  let peakRss = process.memoryUsage().rss;
  let deepest = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    deepest = Math.max(deepest, server.metrics.queueDepth);
  }, 10);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: concurrent }, async (_, i) => {
      const t = performance.now();
      const { status } = await post(port, "/v1/chat/completions", {
        model: "sc:n=2@tiny",
        messages,
        max_tokens: 60,
        seed: i,
      });
      return { status, ms: performance.now() - t };
    }),
  );
  const wall = performance.now() - started;
  clearInterval(sampler);
  const health = (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json())) as { status: string };
  await server.close();
  const byStatus = new Map<number, number>();
  for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const ok = results
    .filter((r) => r.status === 200)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const refused = results
    .filter((r) => r.status === 429)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  console.log(
    `max-queue ${String(maxQueue).padEnd(4)} statuses ${JSON.stringify(Object.fromEntries(byStatus))}  wall ${(wall / 1000).toFixed(2)} s  200s p50 ${percentile(ok, 50).toFixed(0)} ms p99 ${percentile(ok, 99).toFixed(0)} ms` +
      (refused.length ? `  429s p50 ${percentile(refused, 50).toFixed(1)} ms` : "") +
      `  deepest queue ${deepest}  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB  health after: ${health.status}`,
  );
}

console.log(`cpu: ${os.cpus()[0]?.model} × ${os.availableParallelism()}, node ${process.version}`);
console.log(`\nadded latency (ms), ${iterations} interleaved requests each, keep-alive client on loopback`);
await addedLatency("stub model, sc:n=4", stub, "sc:n=4", 60);
const policy = await LlamaCppModel.load({
  model: embeddedModels.policy,
  parallel: maxConcurrency * 2,
  gpu: false,
});
await addedLatency("embedded, greedy 12 tokens", policy, "greedy", 12);

console.log(`\n${concurrent} concurrent requests (sc:n=2, embedded), --max-concurrency ${maxConcurrency}`);
const rssBefore = process.memoryUsage().rss;
console.log(`RSS before: ${(rssBefore / 2 ** 20).toFixed(0)} MiB`);
await load(policy, 64);
await load(policy, concurrent);
console.log(`max RSS of the process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
await policy.close();
agent.destroy();
