/**
 * The `confidence` estimator over stored runs: stored samples keep their text but not their token
 * log-probabilities, so they are scored again with the run's model (`LanguageModel.score`, the same
 * raw log-probabilities sampling reports) — only the warm-up samples of each problem.
 */
import { CapabilityError } from "../core/errors.js";
import type { LanguageModel } from "../core/model.js";
import { RunStore } from "../eval/store.js";
import { meanTokenLogprob } from "./difficulty.js";

/**
 * Mean token log-probability of each problem's first `warmup` pool samples, by problem id.
 *
 * @throws CapabilityError when the model cannot score a continuation.
 */
export async function warmupConfidences(
  dir: string,
  model: LanguageModel,
  warmup: number,
): Promise<Map<string, number[]>> {
  if (!model.score || !model.capabilities.promptLogprobs) {
    throw new CapabilityError(`the confidence estimator needs ${model.id} to score continuations`, {
      hint: "use the embedded backend, or --estimator agreement|score",
    });
  }
  const store = RunStore.open(dir);
  const byProblem = new Map<string, number[]>();
  try {
    for (const s of store.samples()) {
      if (s.poolIndex >= warmup) continue;
      const scored = await model.score({ prompt: s.prompt, continuation: s.text });
      const list = byProblem.get(s.problemId) ?? [];
      list[s.poolIndex] = meanTokenLogprob(scored.tokens.map((t) => t.logprob));
      byProblem.set(s.problemId, list);
    }
  } finally {
    store.close();
  }
  return byProblem;
}
