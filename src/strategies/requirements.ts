import { CapabilityError } from "../core/errors.js";
import { resolveScorer } from "../core/resolve-scorer.js";
import type { Scorer } from "../core/scorer.js";
import type { StrategyContext } from "../core/strategy.js";

/** Fails with a {@link CapabilityError} when the policy backend returns no logprobs. */
export function requireLogprobs(ctx: StrategyContext, who: string): void {
  if (!ctx.model.capabilities.logprobs) {
    throw new CapabilityError(`${who} needs token logprobs, which ${ctx.model.id} does not return`, {
      hint: "use the embedded backend or a server that returns logprobs",
    });
  }
}

/**
 * The run's scorer; fails with the {@link resolveScorer} error (a `ScorerRequiredError`) naming
 * `who` when there is none.
 */
export function requireScorer(ctx: StrategyContext, who: string, example = "prm"): Scorer {
  const scorer = resolveScorer(
    { spec: who, needsScorer: true },
    { given: ctx.scorer, hint: `give the run a scorer, e.g. await scorers.create("${example}").open()` },
  );
  // resolveScorer throws when a needed scorer is missing, so here there is one.
  return scorer!;
}
