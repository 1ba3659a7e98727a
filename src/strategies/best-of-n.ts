import type { Problem } from "../core/prompt.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, scoreCandidates } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { type Layer, selectionLayer } from "./pipeline.js";
import { requireScorer } from "./requirements.js";
import { sampleCandidates, stopReasonOf } from "./rounds.js";
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
      requireScorer(ctx, "best-of-n");
      const log = new CandidateLog(ctx, { strategy: "best-of-n" });
      let stopReason: StrategyOutcome["stopReason"] = "completed";
      try {
        const candidates = await sampleCandidates(problem, ctx, settings, false);
        await scoreCandidates(problem, ctx, candidates);
        for (const c of candidates) log.add(c);
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      return log.outcome(argmax(log.candidates.map((c) => c.score ?? Number.NaN)), stopReason);
    },
  };
}

/** Scores the candidates that have no score yet (a layer after a generator). */
export async function scoreMissing(
  problem: Problem,
  ctx: StrategyContext,
  input: Candidate[],
): Promise<void> {
  requireScorer(ctx, "bon / weighted-vote layer");
  await scoreCandidates(
    problem,
    ctx,
    input.filter((c) => c.score === undefined),
  );
}

/** Best-of-n as a pipeline layer: scores unscored inputs and passes on the best one. */
export function bestLayer(spec = "best-of-n"): Layer {
  return selectionLayer(spec, true, async (problem, input, ctx) => {
    await scoreMissing(problem, ctx, input);
    const chosen = argmax(input.map((c) => c.score ?? Number.NaN));
    return { chosen, answer: chosen >= 0 ? input[chosen]!.answer : null };
  });
}
