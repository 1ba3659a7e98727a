import type { Problem } from "../core/prompt.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, toCandidate } from "./candidates.js";
import { type ConfidenceOptions, traceConfidence } from "./confidence.js";
import type { SampleSettings } from "./params.js";
import { requireLogprobs } from "./requirements.js";
import { draw, stopReasonOf } from "./rounds.js";
import { argmax, majorityVote } from "./vote.js";

/** Settings of {@link selfCertainty}. */
export interface SelfCertaintySettings extends SampleSettings, ConfidenceOptions {
  /** Alternatives per token requested from the backend (for `confidence` and `entropy`). */
  topLogprobs: number;
  /** `best`: the most confident candidate; `borda`: rank-weighted vote over answers. */
  select: "best" | "borda";
  /** Exponent of the Borda weight (n − rank + 1)^p. */
  p: number;
}

/**
 * Verifier-free selection by the candidates' own confidence (Kang et al. 2025 "Scalable Best-of-N
 * Selection for Large Language Models via Self-Certainty"; the trace confidences of Fu et al. 2025
 * DeepConf): sample `n` solutions with token logprobs, score each by a {@link traceConfidence}
 * (`token` signal aggregated by `metric`), then return the most confident one (`select=best`) or the
 * answer of the Borda vote where the candidate ranked r-th by confidence votes with weight
 * (n − r + 1)^p (`select=borda`). NaN confidences (no tokens) rank last. Needs
 * `capabilities.logprobs`.
 */
export function selfCertainty(settings: SelfCertaintySettings, spec = "self-certainty"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      requireLogprobs(ctx, "self-certainty");
      const log = new CandidateLog(ctx, {
        strategy: "self-certainty",
        metric: settings.metric,
        token: settings.token,
      });
      let stopReason: StrategyOutcome["stopReason"] = "completed";
      try {
        const completions = await draw(
          problem,
          ctx,
          { ...settings, logprobs: true },
          {
            n: settings.n,
            seed: ctx.rng.seed(),
            topLogprobs: settings.token === "logprob" ? 0 : settings.topLogprobs,
          },
        );
        for (const completion of completions) {
          const candidate = toCandidate({ ...completion, logprobs: completion.logprobs ?? [] }, ctx);
          candidate.confidence = traceConfidence(candidate.logprobs, settings);
          log.add(candidate);
        }
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      const { chosen, answer, members } = certaintySelect(log.candidates, ctx, settings);
      return log.outcome(chosen, stopReason, { answer, ...(members ? { members } : {}) });
    },
  };
}

/** The selection rule of {@link selfCertainty} over candidates that carry a `confidence`. */
export function certaintySelect(
  candidates: readonly Candidate[],
  ctx: StrategyContext,
  settings: Pick<SelfCertaintySettings, "select" | "p">,
): { chosen: number; answer: string | null; members?: number[] } {
  const confidences = candidates.map((c) => c.confidence ?? Number.NaN);
  const best = argmax(confidences);
  if (settings.select === "best" || best < 0) {
    return { chosen: best, answer: best >= 0 ? candidates[best]!.answer : null };
  }
  // Borda: rank by confidence (NaN last, ties by index), weight (n − rank + 1)^p with rank from 1.
  const n = candidates.length;
  const order = candidates
    .map((_, i) => i)
    .sort((a, b) => sortKey(confidences[b]!) - sortKey(confidences[a]!) || a - b);
  const weights = new Array<number>(n).fill(0);
  order.forEach((i, r) => {
    weights[i] = (n - r) ** settings.p;
  });
  const winner = majorityVote(
    candidates.map((c) => c.answer),
    ctx.sameAnswer,
    weights,
  );
  if (!winner) return { chosen: best, answer: candidates[best]!.answer };
  const chosen = winner.members.reduce((a, b) => (weights[b]! > weights[a]! ? b : a));
  return { chosen, answer: winner.answer, members: winner.members };
}

function sortKey(v: number): number {
  return Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
}
