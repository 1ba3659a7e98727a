import type { Problem } from "../core/prompt.js";
import type { Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { allAborted, traceCandidates } from "./candidates.js";
import { sampleCandidates } from "./rounds.js";

/** One greedy (temperature 0) solution: the baseline every other strategy is measured against. */
export function greedy(options: { maxTokens?: number }, spec = "greedy"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const candidates = await sampleCandidates(problem, ctx, {
        n: 1,
        temperature: 0,
        topP: 1,
        topK: 0,
        ...options,
      });
      const [node] = traceCandidates(ctx, candidates);
      ctx.trace.update(node!, { status: "selected" });
      const chosen = candidates[0]!;
      return {
        answer: chosen.answer,
        output: chosen.text,
        candidates,
        chosen: 0,
        stopReason: allAborted(candidates) ? "aborted" : "completed",
      };
    },
  };
}
