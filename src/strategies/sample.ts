import type { Problem } from "../core/prompt.js";
import type { Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { allAborted, traceCandidates } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { sampleCandidates } from "./rounds.js";

/**
 * `n` independent samples, returned as candidates (repeated sampling, as in Large Language
 * Monkeys). It selects nothing: the answer is the first sample's; use it to measure coverage.
 */
export function sample(settings: SampleSettings, spec = "sample"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const candidates = await sampleCandidates(problem, ctx, settings);
      traceCandidates(ctx, candidates);
      const first = candidates[0]!;
      return {
        answer: first.answer,
        output: first.text,
        candidates,
        chosen: 0,
        stopReason: allAborted(candidates) ? "aborted" : "completed",
      };
    },
  };
}
