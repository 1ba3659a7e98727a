import { CapabilityError, ConfigError } from "../core/errors.js";
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

/** The run's scorer; fails with a {@link ConfigError} naming `who` when there is none. */
export function requireScorer(ctx: StrategyContext, who: string, example = "prm"): Scorer {
  if (!ctx.scorer) {
    throw new ConfigError(`${who} needs a scorer`, {
      hint: `give the run a scorer, e.g. await scorers.create("${example}").open()`,
    });
  }
  return ctx.scorer;
}
