/**
 * Embedded-backend throughput at real vocabulary sizes, beside node-llama-cpp's own native sampling
 * path on the same file and, when given, an OpenAI-compatible server serving that file.
 *
 *   npx tsx bench/backend.ts [--repeats 3] [--vocab 278,32000,151936] [--n 1,16,32] [--tokens 64]
 *                            [--base-url 32000=http://127.0.0.1:8080/v1 …]
 *
 * The models are random-weight GGUFs of the embedded policy's shape with the given vocabulary sizes
 * (tools/random-gguf.ts, written on first use to tools/.work/random-gguf/), whose end token can never
 * be sampled, so every sample runs to `--tokens`. One compute thread, CPU. Each repeat runs every
 * (n, method) pair once, interleaved, so slow phases of the machine hit all methods alike; the table
 * gives min/median/max tokens/s over the repeats and ratios of medians.
 *
 * Methods, for each sampling setting (`full`: temperature 0.8 over the whole vocabulary; `k40`:
 * temperature 0.8, top-k 40, top-p 0.95, node-llama-cpp's defaults):
 * - `deliberate`: `LlamaCppModel.complete({ n })`: the prompt evaluated once, n seeded native samplers,
 *   one batched decode per step;
 * - `deliberate+lp`: the same with `logprobs: true` (raw log-probabilities of every sampled token);
 * - `node-llama-cpp`: n sequences of one context, each `sequence.evaluate(prompt, { temperature, topK,
 *   topP, seed })` at once (the library merges them into one batch). Its topK 0 means k = V;
 * - `server`: the OpenAI-compatible backend against `--base-url` (llama.cpp's server is the
 *   reference), `n` in one request.
 *
 * Then CLI start-up: wall time of `deliberate --help` and `deliberate run --strategy greedy` with the
 * built CLI (`npm run build` first), and of importing node-llama-cpp and initialising llama.cpp.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { getLlama, type LlamaContextSequence, LlamaLogLevel, type Token } from "node-llama-cpp";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import { OpenAICompatibleModel } from "../src/backends/openai-compatible/index.js";
import { benchmarkGguf } from "../tools/random-gguf.js";

const { values } = parseArgs({
  options: {
    repeats: { type: "string", default: "3" },
    vocab: { type: "string", default: "278,32000,151936" },
    n: { type: "string", default: "1,16,32" },
    tokens: { type: "string", default: "64" },
    "base-url": { type: "string", multiple: true, default: [] },
    "server-model": { type: "string", default: "model" },
  },
});
const repeats = Number(values.repeats);
const vocabs = values.vocab.split(",").map(Number);
const ns = values.n.split(",").map(Number);
const maxTokens = Number(values.tokens);
const servers = new Map<number, string>();
for (const item of values["base-url"]) {
  const [vocab, url] = item.split("=", 2) as [string, string | undefined];
  if (!url) throw new Error(`--base-url takes VOCAB=URL, got ${item}`);
  servers.set(Number(vocab), url);
}
const parallel = Math.max(...ns);
let calls = 0;
/**
 * A new prompt for every call (`Q:100+38-19+44`, `Q:101+38-19+44`, …), as when a run goes through a
 * dataset: every figure then includes evaluating the prompt and fanning it out to the n sequences,
 * and no method finds the prompt already cached from the call before.
 */
const nextPrompt = (): string => `Q:${100 + (calls++ % 900)}+38-19+44\n`;
const settings = {
  full: { temperature: 0.8, topK: 0, topP: 1 },
  k40: { temperature: 0.8, topK: 40, topP: 0.95 },
} as const;
type Setting = keyof typeof settings;

/** node-llama-cpp's own path: one `evaluate` generator per sequence, all at once. */
async function nativePath(
  sequences: LlamaContextSequence[],
  tokens: Token[],
  n: number,
  setting: Setting,
  seed: number,
): Promise<number> {
  const counts = await Promise.all(
    sequences.slice(0, n).map(async (sequence, i) => {
      await sequence.clearHistory();
      let count = 0;
      for await (const _ of sequence.evaluate(tokens, { ...settings[setting], seed: seed + i })) {
        if (++count >= maxTokens) break;
      }
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
}

console.log(`cpu: ${os.cpus()[0]?.model} × ${os.availableParallelism()}, node ${process.version}`);
console.log(`${maxTokens} tokens per sample, ${repeats} repeats, 1 thread\n`);
const llama = await getLlama({
  gpu: false,
  build: "never",
  skipDownload: true,
  logLevel: LlamaLogLevel.error,
});
const rows: string[] = [];
for (const vocab of vocabs) {
  const file = await benchmarkGguf(vocab);
  const ours = await LlamaCppModel.load({ model: file, parallel, gpu: false, threads: 1 });
  const theirsModel = await llama.loadModel({ modelPath: file });
  const theirsContext = await theirsModel.createContext({
    contextSize: ours.contextSize,
    sequences: parallel,
    threads: 1,
    // The same attention kernel as ours, so the comparison is of sampling and batching alone.
    flashAttention: "auto",
  });
  const theirSequences = Array.from({ length: parallel }, () => theirsContext.getSequence());
  const server = servers.has(vocab)
    ? new OpenAICompatibleModel({
        baseUrl: servers.get(vocab)!,
        model: values["server-model"],
        endpoint: "completions",
        concurrency: parallel,
      })
    : undefined;
  const methods: Record<string, (n: number, setting: Setting, seed: number) => Promise<number>> = {
    deliberate: async (n, setting, seed) =>
      (await ours.complete({ prompt: nextPrompt(), n, ...settings[setting], seed, maxTokens })).usage
        .completionTokens,
    "deliberate+lp": async (n, setting, seed) =>
      (
        await ours.complete({
          prompt: nextPrompt(),
          n,
          ...settings[setting],
          seed,
          maxTokens,
          logprobs: true,
        })
      ).usage.completionTokens,
    "node-llama-cpp": (n, setting, seed) =>
      nativePath(theirSequences, ours.encodePrompt(nextPrompt()), n, setting, seed),
  };
  if (server) {
    methods.server = async (n, setting, seed) =>
      (await server.complete({ prompt: nextPrompt(), n, ...settings[setting], seed, maxTokens })).usage
        .completionTokens;
  }
  // Warm-up: first batches allocate buffers.
  for (const run of Object.values(methods)) await run(4, "full", 999);
  const rates = new Map<string, number[]>();
  for (let r = 0; r < repeats; r++) {
    for (const setting of Object.keys(settings) as Setting[]) {
      for (const n of ns) {
        for (const [name, run] of Object.entries(methods)) {
          const started = performance.now();
          const generated = await run(n, setting, 1000 * r + n);
          const rate = (generated / (performance.now() - started)) * 1000;
          const key = `${setting}\t${n}\t${name}`;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
        }
      }
    }
  }
  for (const setting of Object.keys(settings) as Setting[]) {
    const single = stats(rates.get(`${setting}\t1\tdeliberate`) ?? [Number.NaN]).median;
    for (const n of ns) {
      const median = (name: string) => stats(rates.get(`${setting}\t${n}\t${name}`) ?? [Number.NaN]).median;
      const cells = Object.keys(methods).map((name) => {
        const s = stats(rates.get(`${setting}\t${n}\t${name}`)!);
        return `${s.min.toFixed(0)}/${s.median.toFixed(0)}/${s.max.toFixed(0)}`;
      });
      const vsNative = median("deliberate") / median("node-llama-cpp");
      const vsServer = server ? (median("deliberate") / median("server")).toFixed(2) : "–";
      rows.push(
        [
          vocab,
          setting,
          n,
          ...cells,
          ...(server ? [] : ["–"]),
          vsNative.toFixed(2),
          vsServer,
          (median("deliberate") / single).toFixed(2),
        ].join("\t"),
      );
    }
  }
  await ours.close();
  await theirsContext.dispose();
  await theirsModel.dispose();
}
console.log("tokens/s as min/median/max; ratios of medians");
console.log(
  [
    "vocab",
    "setting",
    "n",
    "deliberate",
    "deliberate+lp",
    "node-llama-cpp",
    "server",
    "÷native",
    "÷server",
    "÷n=1",
  ].join("\t"),
);
for (const row of rows) console.log(row);

// Prefix reuse on the embedded policy: what a search tree's requests evaluate.
{
  const { embeddedModels } = await import("../src/defaults.js");
  const fresh = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 16, gpu: false });
  console.log("\nprefix reuse (embedded policy)");
  const shared = "Q:83-27+45-19+38-52\n83-27=56\n";
  const one = await fresh.complete({ prompt: shared, n: 16, temperature: 1, seed: 7, maxTokens: 80 });
  const unique = fresh.encodePrompt(shared).length;
  const evaluatedOne = one.usage.promptTokens - one.usage.cachedPromptTokens;
  console.log(`(a) one request, n=16: prompt ${unique} tokens, evaluated ${evaluatedOne}`);
  // A root request samples 4 first steps; each step is continued by its own request of n=4, all at
  // once. The minimum to evaluate is the root prompt plus, per child, the step tokens its parent
  // sampled but never evaluated (at least one).
  const root = "Q:91-35+27-44+18-26\n";
  const steps = await fresh.complete({
    prompt: root,
    n: 4,
    temperature: 1,
    seed: 21,
    stop: ["\n"],
    maxTokens: 20,
  });
  const children = await Promise.all(
    steps.completions.map((step, i) =>
      fresh.complete({
        prompt: root,
        prefix: `${step.text}\n`,
        n: 4,
        temperature: 1,
        seed: 100 + i,
        maxTokens: 60,
      }),
    ),
  );
  const all = [steps, ...children];
  const submitted = all.reduce((s, r) => s + r.usage.promptTokens, 0);
  const evaluatedTree = all.reduce((s, r) => s + r.usage.promptTokens - r.usage.cachedPromptTokens, 0);
  const minimum = fresh.encodePrompt(root).length + children.length;
  console.log(
    `(b) tree of 1 + 4 requests: submitted ${submitted} prompt tokens, evaluated ${evaluatedTree}, minimum ${minimum}, ratio ${(evaluatedTree / minimum).toFixed(3)}`,
  );
  await fresh.close();
}

// CLI start-up.
console.log("\nstart-up (wall ms, median of 3)");
const time = (label: string, run: () => void) => {
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    run();
    ms.push(performance.now() - started);
  }
  console.log(`${label}\t${stats(ms).median.toFixed(0)}`);
};
const cli = path.join("dist", "cli", "main.js");
if (existsSync(cli)) {
  time("deliberate --help", () => execFileSync(process.execPath, [cli, "--help"], { stdio: "ignore" }));
  time("deliberate run --strategy greedy", () =>
    execFileSync(process.execPath, [cli, "run", "--strategy", "greedy", "57+38-19+44"], { stdio: "ignore" }),
  );
} else {
  console.log("(no dist/cli/main.js: run `npm run build` to time the CLI)");
}
// A file rather than `-e`: node-llama-cpp's binary check re-runs the entry script in a child process.
const probeFile = path.join(os.tmpdir(), `deliberate-startup-${process.pid}.mjs`);
writeFileSync(
  probeFile,
  `const t = performance.now();
const l = await import(${JSON.stringify(import.meta.resolve("node-llama-cpp"))});
const a = performance.now();
await l.getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: l.LlamaLogLevel.error });
console.log(JSON.stringify([a - t, performance.now() - a]));
`,
);
const phases = JSON.parse(execFileSync(process.execPath, [probeFile], { encoding: "utf8" })) as [
  number,
  number,
];
rmSync(probeFile);
console.log(`import node-llama-cpp\t${phases[0].toFixed(0)}`);
console.log(`getLlama (binary check in a child process)\t${phases[1].toFixed(0)}`);
