import type { Problem } from "../core/prompt.js";
import type { Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { ConfigError } from "../core/errors.js";
import { allAborted, type SampleSettings, sampleCandidates, traceCandidates } from "./sampling.js";
import { argmax } from "./vote.js";

/**
 * Best-of-N: sample `n` solutions, score each with the scorer (reward model, verifier, judge) and
 * return the highest-scored one. NaN scores lose; ties go to the earlier sample.
 */
export function bestOfN(settings: SampleSettings, spec = "best-of-n"): Strategy {
  return {
    spec,
    needsScorer: true,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      if (!ctx.scorer) throw new ConfigError("best-of-n needs a scorer", { hint: "pass --scorer, e.g. prm" });
      const candidates = await sampleCandidates(problem, ctx, settings);
      const { scores } = await ctx.scorer.score(
        problem,
        candidates.map((c) => c.text),
        { signal: ctx.signal },
      );
      candidates.forEach((c, i) => {
        c.score = scores[i]!.value;
        if (scores[i]!.steps) c.stepScores = scores[i]!.steps;
      });
      const nodes = traceCandidates(ctx, candidates);
      const chosen = argmax(candidates.map((c) => c.score!));
      const stopReason = allAborted(candidates) ? "aborted" : "completed";
      if (chosen < 0) return { answer: null, output: "", candidates, chosen, stopReason };
      ctx.trace.update(nodes[chosen]!, { status: "selected" });
      return {
        answer: candidates[chosen]!.answer,
        output: candidates[chosen]!.text,
        candidates,
        chosen,
        stopReason,
      };
    },
  };
}
