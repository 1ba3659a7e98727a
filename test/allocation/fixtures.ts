import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EvalProblem } from "../../src/eval/datasets/types.js";
import type { EvalConfig } from "../../src/eval/runner.js";
import { type ResultRecord, RunStore, type SampleRecord } from "../../src/eval/store.js";

const ZERO = { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, calls: 0, wallMs: 0 };

/** The configuration of a hand-built arith run with a pool of 4 samples. */
function runConfig(own: Pick<EvalConfig, "dataset" | "strategies"> & Partial<EvalConfig>): EvalConfig {
  return {
    version: 1,
    where: [],
    grading: "arith",
    samples: 4,
    temperature: 0.8,
    topP: 1,
    maxTokens: 64,
    seed: 0,
    model: { source: "embedded" },
    raw: false,
    ...own,
  };
}

/** A pool of samples of `problem` with the given answers (gold is "7"), `tokens` long each. */
function pool(problem: EvalProblem, answers: string[], tokens: number, score?: number): SampleRecord[] {
  return answers.map((answer, i) => ({
    problemId: problem.id,
    poolIndex: i,
    seed: i,
    params: {},
    prompt: problem.prompt,
    text: `A:${answer}\n`,
    finishReason: "stop",
    completionTokens: tokens,
    promptTokens: 5,
    answer,
    correct: answer === "7",
    ...(score !== undefined ? { score } : {}),
  }));
}

/**
 * A stored run of 3 easy and 3 hard problems with a pool of 4 samples of 10 tokens each and a greedy
 * result of 10 tokens. Easy: every sample and greedy are right. Hard: samples answer 1, 2, gold, gold
 * (the warm-up of 2 disagrees; the vote over 4 is right) and greedy is wrong.
 */
export function handBuiltRun(dataset = "arith:validation:3"): string {
  const dir = join(mkdtempSync(join(tmpdir(), "deliberate-tune-")), "run");
  const config = runConfig({ dataset, strategies: [{ spec: "greedy", canonical: "greedy" }] });
  const problems: EvalProblem[] = ["e0", "e1", "e2", "h0", "h1", "h2"].map((id) => ({
    id,
    prompt: `Q:${id}\n`,
    gold: "7",
    meta: {},
  }));
  const store = RunStore.create(dir, config, problems);
  for (const p of problems) {
    const hard = p.id.startsWith("h");
    const answers = hard ? ["1", "2", "7", "7"] : ["7", "7", "7", "7"];
    const samples = pool(p, answers, 10);
    const greedy: ResultRecord = {
      problemId: p.id,
      strategy: "greedy",
      answer: hard ? "3" : "7",
      correct: !hard,
      output: "",
      usage: { ...ZERO, completionTokens: 10 },
      scorerUsage: ZERO,
      candidates: 1,
      stopReason: "completed",
    };
    store.writeProblem(p.id, samples, [greedy]);
  }
  store.close();
  return dir;
}

/**
 * A stored, scored run of 6 easy and 6 hard problems with a pool of 4 samples, every sample scored
 * 0.9. Easy: every sample is right and 10 tokens long. Hard: samples answer 1, 2, gold, gold (only
 * the vote over all 4 is right) and are 20 tokens long. No answer agreement or score of the first
 * sample tells them apart; its length does.
 */
export function scoredRun(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "deliberate-tune-")), "scored");
  const config = runConfig({ dataset: "arith:validation:12", strategies: [], scorer: "genprm" });
  const ids = [
    ...Array.from({ length: 6 }, (_, i) => `e${i}`),
    ...Array.from({ length: 6 }, (_, i) => `h${i}`),
  ];
  const problems: EvalProblem[] = ids.map((id) => ({ id, prompt: `Q:${id}\n`, gold: "7", meta: {} }));
  const store = RunStore.create(dir, config, problems);
  for (const p of problems) {
    const hard = p.id.startsWith("h");
    const answers = hard ? ["1", "2", "7", "7"] : ["7", "7", "7", "7"];
    const samples = pool(p, answers, hard ? 20 : 10, 0.9);
    store.writeProblem(p.id, samples, []);
  }
  store.close();
  return dir;
}
