/**
 * Embedded-backend throughput and prefix reuse on the project's policy model.
 *
 *   npx tsx bench/backend.ts [--repeats 3]
 *
 * Prints tokens/s for n = 1, 4, 8, 16, 32, 64 parallel samples and the ratio to one sequence, and
 * how many prompt tokens were evaluated when 16 continuations share one prefix.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import { embeddedModels } from "../src/defaults.js";

const { values } = parseArgs({ options: { repeats: { type: "string", default: "3" } } });
const repeats = Number(values.repeats);

const model = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 64, gpu: false });
// A long, out-of-distribution problem so that generations are long.
const prompt = "Q:57+38-19+44-21+35-48+12\n";

async function throughput(n: number): Promise<number> {
  let tokens = 0;
  let ms = 0;
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    const { usage } = await model.complete({ prompt, n, temperature: 1, seed: 1000 * r, maxTokens: 200 });
    ms += performance.now() - started;
    tokens += usage.completionTokens;
  }
  return (tokens / ms) * 1000;
}

await throughput(4); // warm-up
console.log(`cpu: ${os.cpus()[0]?.model} × ${os.availableParallelism()}, node ${process.version}`);
console.log("\nparallel sampling (one request of n samples, temperature 1)");
console.log("n\ttokens/s\tratio to n=1");
let single = 0;
for (const n of [1, 4, 8, 16, 32, 64]) {
  const rate = await throughput(n);
  if (n === 1) single = rate;
  console.log(`${n}\t${rate.toFixed(0)}\t\t${(rate / single).toFixed(2)}×`);
}

// A fresh model instance, so that nothing from the throughput runs is cached.
await model.close();
const fresh = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 64, gpu: false });
console.log("\nprefix reuse: 16 continuations of one shared prefix");
const shared = "Q:83-27+45-19+38-52\n83-27=56\n";
const unique = fresh.encodePrompt(shared).length;
// (a) one request of n = 16 on a prompt nothing has cached yet.
const one = await fresh.complete({ prompt: shared, n: 16, temperature: 1, seed: 7, maxTokens: 80 });
const evaluatedOne = one.usage.promptTokens - one.usage.cachedPromptTokens;
console.log(
  `(a) one request, n=16: unique prompt tokens ${unique}, evaluated ${evaluatedOne}, ratio ${(evaluatedOne / unique).toFixed(3)}`,
);
// (b) a search tree: a root request samples 4 first steps; each step is then continued by its own
// request of n=4, all at once. Submitted prompt tokens grow with the tree; the minimum to evaluate
// is the root prompt plus, per child request, the one token its parent sampled but never evaluated.
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
    model.complete({
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
  `(b) tree of 1 + 4 requests: submitted ${submitted} prompt tokens, evaluated ${evaluatedTree}, minimum ${minimum}, ratio to minimum ${(evaluatedTree / minimum).toFixed(3)}`,
);
await fresh.close();
