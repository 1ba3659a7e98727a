import type { Problem } from "../core/prompt.js";
import type { Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { allAborted, type SampleSettings, sampleCandidates, traceCandidates } from "./sampling.js";
import { majorityVote } from "./vote.js";

/**
 * Self-consistency (Wang et al. 2022): sample `n` solutions, extract their answers and return the
 * most frequent one, comparing answers by equivalence rather than by string.
 */
export function selfConsistency(settings: SampleSettings, spec = "self-consistency"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const candidates = await sampleCandidates(problem, ctx, settings);
      const nodes = traceCandidates(ctx, candidates);
      const winner = majorityVote(
        candidates.map((c) => c.answer),
        ctx.sameAnswer,
      );
      const stopReason = allAborted(candidates) ? "aborted" : "completed";
      if (!winner)
        return { answer: null, output: candidates[0]?.text ?? "", candidates, chosen: -1, stopReason };
      const chosen = winner.members[0]!;
      for (const m of winner.members) ctx.trace.update(nodes[m]!, { status: "selected" });
      return { answer: winner.answer, output: candidates[chosen]!.text, candidates, chosen, stopReason };
    },
  };
}
