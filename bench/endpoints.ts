/**
 * Throughput through the OpenAI-compatible backend, one endpoint against a fleet.
 *
 *   npx tsx bench/endpoints.ts --base-url http://127.0.0.1:8080/v1 --base-url http://127.0.0.1:8081/v1 \
 *     [--model tiny] [--samples 32] [--max-tokens 64] [--rounds 3]
 *
 * Workload: `--samples` arithmetic problems at once, one greedy sample each (so prefix affinity can
 * spread them: each prompt is its own key). Runs it through the first endpoint alone, then through
 * all of them, interleaved `--rounds` times. Prints tok/s as the backend counts (usage) and as the
 * servers count (the delta of their Prometheus `/metrics` generated-token counter, where they expose
 * one: llama.cpp's server started with `--metrics`, vLLM, SGLang), and the fleet's speed-up.
 * Prints figures, asserts nothing.
 */
import { parseArgs } from "node:util";
import { OpenAICompatibleModel } from "../src/backends/openai-compatible/index.js";
import { formatArithPrompt, generateArithSplit } from "../src/tasks/arith/index.js";

const { values } = parseArgs({
  options: {
    "base-url": { type: "string", multiple: true, default: [] },
    model: { type: "string", default: "tiny" },
    samples: { type: "string", default: "32" },
    "max-tokens": { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
  },
});
const urls = values["base-url"] as string[];
if (urls.length < 2) {
  console.error("give at least two --base-url (servers serving the same model)");
  process.exit(2);
}
const samples = Number(values.samples);
const maxTokens = Number(values["max-tokens"]);
const prompts = generateArithSplit("test", 3, samples).map((p) => formatArithPrompt(p));

/** Generated tokens the servers report in total, or undefined when one has no counter. */
async function serverTokens(list: readonly string[]): Promise<number | undefined> {
  let total = 0;
  for (const url of list) {
    const root = url.replace(/\/v1\/?$/, "");
    try {
      const text = await (await fetch(`${root}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) =>
          /^(llamacpp:tokens_predicted_total|vllm:generation_tokens_total|sglang:generation_tokens_total)\b/.test(
            l,
          ),
        );
      if (!line) return undefined;
      total += Number(line.trim().split(/\s+/).at(-1));
    } catch {
      return undefined;
    }
  }
  return total;
}

async function round(list: readonly string[]): Promise<{ client: number; server?: number }> {
  const model = new OpenAICompatibleModel({ baseUrl: list, model: values.model! });
  const before = await serverTokens(list);
  const started = performance.now();
  const responses = await Promise.all(
    prompts.map((prompt, i) => model.complete({ prompt, temperature: 0, maxTokens, seed: i })),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await serverTokens(list);
  const tokens = responses.reduce((s, r) => s + r.usage.completionTokens, 0);
  return {
    client: tokens / seconds,
    ...(before !== undefined && after !== undefined ? { server: (after - before) / seconds } : {}),
  };
}

const one: number[] = [];
const fleet: number[] = [];
const fmt = (x: number | undefined) => (x === undefined ? "n/a" : x.toFixed(0));
await round(urls); // warm-up: dialect detection, server caches
for (let r = 0; r < Number(values.rounds); r++) {
  const single = await round(urls.slice(0, 1));
  const all = await round(urls);
  one.push(single.client);
  fleet.push(all.client);
  console.log(
    `round ${r + 1}: 1 endpoint ${fmt(single.client)} tok/s (server ${fmt(single.server)}), ` +
      `${urls.length} endpoints ${fmt(all.client)} tok/s (server ${fmt(all.server)})`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `median: 1 endpoint ${fmt(median(one))} tok/s, ${urls.length} endpoints ${fmt(median(fleet))} tok/s, ` +
    `speed-up ${(median(fleet) / median(one)).toFixed(2)}x (${samples} samples, max ${maxTokens} tokens each)`,
);
