import type { Problem } from "../core/prompt.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { scoreMissing } from "./best-of-n.js";
import { type Layer, selectionLayer } from "./pipeline.js";
import { requireScorer } from "./requirements.js";
import {
  CandidateLog,
  type SampleSettings,
  sampleCandidates,
  scoreCandidates,
  stopReasonOf,
} from "./sampling.js";
import { type AnswerClass, groupAnswers, majorityVote } from "./vote.js";

/** How the scores of one answer's candidates add up to that answer's weight. */
export type ScoreAggregate = "sum" | "max" | "mean";

/** Settings of {@link weightedVote}. */
export interface WeightedVoteSettings extends SampleSettings {
  /** `sum` is the weighted majority vote; `max` and `mean` are its variants. Default `sum`. */
  aggregate?: ScoreAggregate;
}

/**
 * The answer class with the highest aggregated score. Scores that are NaN or negative count as 0. When
 * every weight is 0 (all-wrong verifier, all-NaN scores), it falls back to the plain majority vote.
 * Ties go to the class whose first member came first. Null answers never win.
 */
export function weightedMajority(
  candidates: readonly Pick<Candidate, "answer" | "score">[],
  same: AnswerEquivalence,
  aggregate: ScoreAggregate = "sum",
): (AnswerClass & { fallback: boolean }) | null {
  const weights = candidates.map((c) => {
    const s = c.score ?? Number.NaN;
    return Number.isFinite(s) && s > 0 ? s : 0;
  });
  const answers = candidates.map((c) => c.answer);
  const classes = groupAnswers(answers, same, weights);
  if (classes.length === 0) return null;
  if (classes.every((c) => c.weight === 0)) {
    const plain = majorityVote(answers, same);
    return plain && { ...plain, fallback: true };
  }
  let best: AnswerClass | null = null;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const c of classes) {
    const value =
      aggregate === "sum"
        ? c.weight
        : aggregate === "mean"
          ? c.weight / c.members.length
          : Math.max(...c.members.map((m) => weights[m]!));
    if (value > bestValue) {
      best = c;
      bestValue = value;
    }
  }
  return best && { ...best, weight: bestValue, fallback: false };
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
  return Object.fromEntries(
    groupAnswers(
      log.candidates.map((c) => c.answer),
      ctx.sameAnswer,
      weights,
    ).map((c) => [c.answer, c.weight]),
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
