import type { Problem } from "../core/prompt.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { scoreMissing } from "./best-of-n.js";
import { CandidateLog, scoreCandidates } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { type Layer, selectionLayer } from "./pipeline.js";
import { requireScorer } from "./requirements.js";
import { sampleCandidates, stopReasonOf } from "./rounds.js";
import { answerWeights, type ScoreAggregate, weightedMajority } from "./vote.js";

/** Settings of {@link weightedVote}. */
export interface WeightedVoteSettings extends SampleSettings {
  /** `sum` is the weighted majority vote; `max` and `mean` are its variants. Default `sum`. */
  aggregate?: ScoreAggregate;
}

/**
 * Weighted majority vote (Li et al. 2023 "Making language models better reasoners with step-aware
 * verifier"; the "weighted best-of-N" of Uesato et al. 2022 and Snell et al. 2024): sample `n`
 * solutions, score each with the scorer (ORM, PRM with its step aggregation, verifier), and return
 * the answer whose candidates' scores sum highest. The representative is the class's best-scored
 * candidate.
 */
export function weightedVote(settings: WeightedVoteSettings, spec = "weighted-vote"): Strategy {
  return {
    spec,
    needsScorer: true,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      requireScorer(ctx, "weighted-vote");
      const log = new CandidateLog(ctx, { strategy: "weighted-vote" });
      let stopReason: StrategyOutcome["stopReason"] = "completed";
      try {
        const candidates = await sampleCandidates(problem, ctx, settings, false);
        await scoreCandidates(problem, ctx, candidates);
        for (const c of candidates) log.add(c);
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      return selectWeighted(log, ctx, settings.aggregate ?? "sum", stopReason);
    },
  };
}

/** Weighted-vote selection over a log's (scored) candidates. */
export function selectWeighted(
  log: CandidateLog,
  ctx: StrategyContext,
  aggregate: ScoreAggregate,
  stopReason: StrategyOutcome["stopReason"],
): StrategyOutcome {
  const winner = weightedMajority(log.candidates, ctx.sameAnswer, aggregate);
  if (!winner) return log.outcome(-1, stopReason);
  const chosen = bestMember(log.candidates, winner.members);
  ctx.trace.update(log.root, { meta: { votes: classWeights(log, ctx), fallback: winner.fallback } });
  return log.outcome(chosen, stopReason, { answer: winner.answer, members: winner.members });
}

/** Answer → summed weight, for the trace. */
function classWeights(log: CandidateLog, ctx: StrategyContext): Record<string, number> {
  const weights = log.candidates.map((c) => (Number.isFinite(c.score) && c.score! > 0 ? c.score! : 0));
  return answerWeights(
    log.candidates.map((c) => c.answer),
    ctx.sameAnswer,
    weights,
  );
}

/** Weighted vote as a pipeline layer: scores unscored inputs, passes on the winning answer's best. */
export function weightedVoteLayer(aggregate: ScoreAggregate = "sum", spec = "weighted-vote"): Layer {
  return selectionLayer(spec, true, async (problem, input, ctx) => {
    await scoreMissing(problem, ctx, input);
    const winner = weightedMajority(input, ctx.sameAnswer, aggregate);
    if (!winner) return { chosen: -1, answer: null };
    return {
      chosen: bestMember(input, winner.members),
      answer: winner.answer,
      members: winner.members,
      meta: { fallback: winner.fallback },
    };
  });
}

/** The best-scored member (NaN scores lose; ties: the earliest). */
function bestMember(candidates: readonly Candidate[], members: readonly number[]): number {
  const value = (i: number) => {
    const s = candidates[i]!.score ?? Number.NaN;
    return Number.isNaN(s) ? Number.NEGATIVE_INFINITY : s;
  };
  return members.reduce((best, m) => (value(m) > value(best) ? m : best));
}
