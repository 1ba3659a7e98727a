/**
 * Where a generation step's time goes on the CPU, per generated token: llama.cpp's batched decode
 * alone, and decode plus one native draw per sequence, at n = 1 and n = 32 sequences. Driven through
 * node-llama-cpp's addon directly (one `decodeBatch` per step, then the draws), so neither
 * node-llama-cpp's batch queue nor deliberate's code is in the figures: they are the floor any
 * in-process backend on llama.cpp pays.
 *
 *   npx tsx bench/decode-cost.ts [--vocab 278,151936] [--steps 48] [--repeats 2]
 *
 * The third column adds each step's sequences to the batch in a random order, as node-llama-cpp's
 * queue does (the order the previous draws finished in); the embedded backend sorts them
 * (src/backends/llama-cpp/native.ts).
 *
 * CPU time is the process's user + system time over the steps (all threads), so it reads the same on
 * a busy machine; wall time is printed beside it. One compute thread, full-distribution sampling at
 * temperature 0.8. Prints figures, asserts nothing.
 */
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { benchmarkGguf } from "../tools/random-gguf.js";

const { values } = parseArgs({
  options: {
    vocab: { type: "string", default: "278,151936" },
    steps: { type: "string", default: "48" },
    repeats: { type: "string", default: "2" },
  },
});
const steps = Number(values.steps);
const repeats = Number(values.repeats);
const SEQUENCES = 32;

/** The addon members this benchmark drives (internal to node-llama-cpp, pinned in package.json). */
interface Addon {
  initBatch(size: number): void;
  addToBatch(sequence: number, firstPosition: number, tokens: Uint32Array, logits: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(batchLogitIndex: number, sampler: unknown): Promise<number>;
  removeTokenCellsFromSequence(sequence: number, start: number, end: number): boolean;
}
type SamplerClass = new (model: unknown) => { applyConfig(c: object): void; dispose(): void };

const llama = await getLlama({
  gpu: false,
  build: "never",
  skipDownload: true,
  logLevel: LlamaLogLevel.error,
});
console.log(
  "vocab\tn\tdecode only (CPU µs/token, wall)\tdecode + draw (CPU µs/token, wall)\tdecode only, batch in shuffled sequence order",
);
for (const vocab of values.vocab.split(",").map(Number)) {
  const file = await benchmarkGguf(vocab);
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({
    contextSize: 4096,
    sequences: SEQUENCES,
    threads: 1,
    flashAttention: "auto",
    experimentalKvCacheKeyType: "F16",
    experimentalKvCacheValueType: "F16",
  });
  const addon = (context as unknown as { _ctx: Addon })._ctx;
  const Sampler = (model as unknown as { _llama: { _bindings: { AddonSampler: SamplerClass } } })._llama
    ._bindings.AddonSampler;
  const native = (model as unknown as { _model: unknown })._model;
  const ids = Array.from({ length: SEQUENCES }, () => context.getSequence()).map(
    (s) => (s as unknown as { _sequenceId: number })._sequenceId,
  );
  const prompt = model.tokenize("Q:57+38-19+44\n");

  /** CPU and wall µs per generated token over `steps` steps of `n` sequences. */
  async function measure(n: number, draw: boolean, shuffled = false): Promise<{ cpu: number; wall: number }> {
    for (const id of ids) addon.removeTokenCellsFromSequence(id, 0, -1);
    const samplers = Array.from({ length: n }, (_, i) => {
      const sampler = new Sampler(native);
      sampler.applyConfig({ temperature: 0.8, seed: i });
      return sampler;
    });
    addon.initBatch(prompt.length * n);
    const first = ids
      .slice(0, n)
      .map(
        (id) => addon.addToBatch(id, 0, Uint32Array.from(prompt), Uint32Array.from([prompt.length - 1]))[0]!,
      );
    await addon.decodeBatch();
    let tokens = await Promise.all(first.map((index, i) => addon.sampleToken(index, samplers[i])));
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let step = 0; step < steps; step++) {
      addon.initBatch(n);
      // Sequences in ascending order, or shuffled as node-llama-cpp's queue adds them.
      const order = ids.slice(0, n).map((id, i) => ({ id, i }));
      if (shuffled) order.sort(() => Math.random() - 0.5);
      const indexes: number[] = new Array(n);
      for (const { id, i } of order) {
        const position = prompt.length + step;
        indexes[i] = addon.addToBatch(
          id,
          position,
          Uint32Array.from([tokens[i]!]),
          Uint32Array.from([0]),
        )[0]!;
      }
      await addon.decodeBatch();
      if (draw) tokens = await Promise.all(indexes.map((index, i) => addon.sampleToken(index, samplers[i])));
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    for (const sampler of samplers) sampler.dispose();
    const generated = n * steps;
    return { cpu: ((cpu.user + cpu.system) / generated) | 0, wall: ((wall * 1000) / generated) | 0 };
  }

  for (let r = 0; r < repeats; r++) {
    for (const n of [1, SEQUENCES]) {
      const decode = await measure(n, false);
      const both = await measure(n, true);
      const shuffled = await measure(n, false, true);
      console.log(
        `${vocab}\t${n}\t${decode.cpu} (${decode.wall})\t${both.cpu} (${both.wall})\t${shuffled.cpu} (${shuffled.wall})`,
      );
    }
  }
  await context.dispose();
  await model.dispose();
}
process.exit(0);
