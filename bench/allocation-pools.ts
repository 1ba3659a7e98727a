/**
 * The sample pools of the allocation benchmark (bench/allocation.ts): one eval run per split of the
 * embedded arithmetic task, levels 1–6, with `samples` pool samples per problem at temperature 0.8
 * and the greedy strategy. A run that is already complete is reused; an unfinished one is resumed.
 */
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import { embeddedModelPath } from "../src/defaults.js";
import { loadDataset } from "../src/eval/datasets/index.js";
import { type EvalConfig, executeRun } from "../src/eval/runner.js";
import { RunStore } from "../src/eval/store.js";
import { scorers } from "../src/scorers/registry.js";
import { createStrategy } from "../src/strategies/registry.js";

/** What one pool run holds. */
export interface PoolRunOptions {
  dir: string;
  split: "validation" | "test";
  /** Problems per level. */
  perLevel: number;
  levels: readonly number[];
  samples: number;
  seed: number;
  maxTokens: number;
  /** Scorer spec that scores every pool sample (e.g. `genprm`). */
  scorer?: string;
}

/** Creates (or resumes) the run in `options.dir` and executes it; returns the directory. */
export async function ensurePoolRun(options: PoolRunOptions, log: (line: string) => void): Promise<string> {
  let store: RunStore;
  if (RunStore.exists(options.dir)) {
    store = RunStore.open(options.dir);
    const counts = store.counts();
    if (counts.completed === counts.problems) {
      store.close();
      log(`${options.dir}: complete (${counts.problems} problems), reused`);
      return options.dir;
    }
  } else {
    const dataset = loadDataset(`arith:${options.split}:${options.perLevel}`);
    const problems = dataset.problems.filter((p) => options.levels.includes(p.level ?? -1));
    const config: EvalConfig = {
      version: 1,
      dataset: dataset.spec,
      where: [],
      grading: dataset.grading,
      strategies: [{ spec: "greedy", canonical: createStrategy("greedy").spec }],
      samples: options.samples,
      temperature: 0.8,
      topP: 1,
      maxTokens: options.maxTokens,
      seed: options.seed,
      model: { source: "embedded" },
      raw: false,
      ...(options.scorer ? { scorer: options.scorer } : {}),
    };
    store = RunStore.create(options.dir, config, problems);
  }
  const model = await LlamaCppModel.load({
    model: embeddedModelPath("policy"),
    contextSize: 64 + options.maxTokens,
  });
  const config = store.config<EvalConfig>();
  const scorer = config.scorer ? await scorers.create(config.scorer).open() : undefined;
  try {
    const started = performance.now();
    const stats = await executeRun(store, { model, ...(scorer ? { scorer } : {}), concurrency: 4 });
    log(
      `${options.dir}: ${stats.problems} problems, ${stats.completionTokens} tokens in ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    store.close();
    await scorer?.close?.();
    await model.close();
  }
  return options.dir;
}
