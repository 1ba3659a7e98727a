import type { Problem } from "../core/prompt.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { sampleUntil } from "./rounds.js";
import { voteOutcome } from "./self-consistency.js";

/** Settings of {@link earlyStoppingConsistency}; `n` is the most samples. */
export interface EscSettings extends SampleSettings {
  /** Samples per window. */
  window: number;
}

/** True when the last `window` candidates all have one (extracted, equivalent) answer. */
export function windowUnanimous(
  candidates: readonly Pick<Candidate, "answer">[],
  window: number,
  same: AnswerEquivalence,
): boolean {
  if (candidates.length < window) return false;
  const last = candidates.slice(-window);
  const first = last[0]!.answer;
  return first !== null && last.every((c) => c.answer !== null && same(first, c.answer));
}

/**
 * Early-stopping self-consistency (Li et al. 2024 "Escape Sky-high Cost: Early-stopping
 * Self-Consistency for Multi-step Reasoning", ICLR): sample in windows of `window`; stop after the
 * first window whose answers are unanimous (zero entropy), at most `n` samples; then majority vote
 * over every sample drawn. Seeds follow `sc:n=N` under the same run seed.
 */
export function earlyStoppingConsistency(settings: EscSettings, spec = "esc"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const log = new CandidateLog(ctx, { strategy: "esc", window: settings.window });
      const stopReason = await sampleUntil(problem, ctx, settings, log, {
        max: settings.n,
        batch: settings.window,
        stop: (candidates) => windowUnanimous(candidates, settings.window, ctx.sameAnswer),
      });
      return voteOutcome(log, ctx, stopReason, { samples: log.candidates.length });
    },
  };
}
