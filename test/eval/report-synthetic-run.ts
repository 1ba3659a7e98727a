/**
 * A run store built by hand, without a model: 2 levels × 3 problems, a scored pool of 4 samples
 * each, one self-consistency strategy whose spec needs CSV quoting, the last problem unfinished, and
 * no model shape.
 */
import { emptyUsage } from "../../src/core/usage.js";
import type { EvalProblem } from "../../src/eval/datasets/index.js";
import type { EvalConfig } from "../../src/eval/runner.js";
import { type ResultRecord, RunStore, type SampleRecord } from "../../src/eval/store.js";

/** Builds a store by hand: 2 levels × 3 problems, scored pool of 4, one strategy, last problem unfinished. */
export function writeSyntheticRun(dir: string): void {
  const strategy = {
    spec: "sc:n=2,temperature=0.8",
    canonical: "self-consistency:n=2,temperature=0.8,topP=1,topK=0",
  };
  const config: EvalConfig = {
    version: 1,
    dataset: "file:synthetic.jsonl",
    where: [],
    grading: "math",
    strategies: [strategy],
    samples: 4,
    temperature: 0.8,
    topP: 1,
    maxTokens: 64,
    seed: 5,
    model: { source: "embedded" },
    scorer: "prm",
    raw: false,
  };
  const problems: EvalProblem[] = [];
  for (let i = 0; i < 6; i++) {
    problems.push({ id: `q${i}`, prompt: `question ${i}`, gold: String(i), level: 1 + (i % 2), meta: {} });
  }
  const store = RunStore.create(dir, config, problems);
  try {
    problems.slice(0, 5).forEach((p, i) => {
      const samples: SampleRecord[] = [0, 1, 2, 3].map((j) => {
        const correct = (i + j) % 3 === 0;
        return {
          problemId: p.id,
          poolIndex: j,
          seed: 10 * i + j,
          params: { n: 4 },
          prompt: p.prompt,
          text: `answer ${correct ? p.gold : j + 10}`,
          finishReason: "stop",
          completionTokens: 20 + 5 * j + i,
          promptTokens: 8,
          answer: correct ? p.gold : String(j + 10),
          correct,
          score: correct ? 0.6 + 0.05 * j : 0.3 + 0.1 * j,
        };
      });
      const result: ResultRecord = {
        problemId: p.id,
        strategy: strategy.canonical,
        answer: p.gold,
        correct: i % 2 === 0,
        output: "…",
        usage: { ...emptyUsage(), completionTokens: 45 + i, calls: 1 },
        scorerUsage: emptyUsage(),
        candidates: 2,
        stopReason: "completed",
      };
      store.writeProblem(p.id, samples, [result]);
    });
  } finally {
    store.close();
  }
}
