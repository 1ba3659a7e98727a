import type { Problem } from "../core/prompt.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import { traceConfidence } from "./confidence.js";
import type { SampleSettings } from "./params.js";
import { requireLogprobs } from "./requirements.js";
import { sampleUntil } from "./rounds.js";
import { groupAnswers } from "./vote.js";

/** Settings of {@link confidenceGuidedStopping}; `n` is the most samples. */
export interface CgesSettings extends SampleSettings {
  /** Samples per round. */
  batch: number;
  /** Stop once the leading answer's posterior probability of being right reaches it. */
  threshold: number;
  /** q: the chance that a wrong sample gives one particular wrong answer (how clustered errors are). */
  collision: number;
  /** Tokens per group of the lowest-group log-probability that sets a sample's reliability. */
  window: number;
}

/** Reliabilities are kept inside [RELIABILITY_MIN, RELIABILITY_MAX]: no sample is certain either way. */
const RELIABILITY_MIN = 0.001;
const RELIABILITY_MAX = 0.999;

/**
 * A sample's reliability r: the geometric-mean probability of its least likely stretch of `window`
 * tokens (exp of DeepConf's lowest group confidence over token log-probabilities), clamped to
 * [0.001, 0.999]; NaN when it has no tokens.
 */
export function sampleReliability(candidate: Pick<Candidate, "logprobs">, window: number): number {
  const lowest = traceConfidence(candidate.logprobs, {
    token: "logprob",
    metric: "lowest-group",
    window,
    bottom: 0.1,
  });
  if (Number.isNaN(lowest)) return Number.NaN;
  return Math.min(RELIABILITY_MAX, Math.max(RELIABILITY_MIN, Math.exp(lowest)));
}

/** The posterior over the answers seen so far (see {@link answerPosterior}). */
export interface AnswerPosterior {
  /** Answer classes in order of first appearance, with their posterior probability of being right. */
  answers: { answer: string; members: number[]; evidence: number; probability: number }[];
  /** Index into `answers` of the most probable answer; -1 when no sample has an answer. */
  lead: number;
  /** Posterior probability that the right answer is none of those seen. */
  unseen: number;
}

/**
 * Posterior probability that each answer seen is the right one, given every sample's answer and
 * reliability r (its probability of being right). Model: the right answer y is one of the answers
 * seen or an unseen one, all equally likely a priori; a sample gives y with probability r and one
 * particular wrong answer with probability (1 − r)·q. So an answer's posterior odds against the unseen
 * one are exp(Σ eᵢ) over the samples that gave it, with evidence eᵢ = log(rᵢ / ((1 − rᵢ)·q)); a
 * sample below r = q/(1 + q) counts against its own answer. Samples without an answer or without a
 * reliability (NaN) carry no evidence. Ties in probability go to the answer seen first.
 */
export function answerPosterior(
  candidates: readonly Pick<Candidate, "answer">[],
  reliabilities: readonly number[],
  collision: number,
  same: AnswerEquivalence,
): AnswerPosterior {
  const evidence = reliabilities.map((r) =>
    Number.isFinite(r) ? Math.log(r / ((1 - r) * collision)) : Number.NaN,
  );
  const classes = groupAnswers(
    candidates.map((c, i) => (Number.isFinite(evidence[i]!) ? c.answer : null)),
    same,
    evidence,
  );
  if (classes.length === 0) return { answers: [], lead: -1, unseen: 1 };
  // log-sum-exp over the classes and the unseen answer (log odds 0).
  const top = Math.max(0, ...classes.map((c) => c.weight));
  const total = Math.exp(-top) + classes.reduce((s, c) => s + Math.exp(c.weight - top), 0);
  const answers = classes.map((c) => ({
    answer: c.answer,
    members: c.members,
    evidence: c.weight,
    probability: Math.exp(c.weight - top) / total,
  }));
  let lead = 0;
  answers.forEach((a, i) => {
    if (a.probability > answers[lead]!.probability) lead = i;
  });
  return { answers, lead, unseen: Math.exp(-top) / total };
}

/**
 * Confidence-guided early stopping for self-consistency, after Aghazadeh et al. 2025 ("CGES:
 * Confidence-Guided Early Stopping for Efficient and Accurate Self-Consistency"): sample in rounds of
 * `batch`, keep a posterior over which answer is right that weighs every sample by its own token
 * confidence ({@link answerPosterior}, {@link sampleReliability}), and stop once the leading answer's
 * posterior reaches `threshold`, at most `n` samples. The answer is the posterior's most probable one.
 * The likelihood model is ours (the paper's idea, not its exact formulas). Sample seeds follow the
 * run seed as in `sc:n=N`. Needs `capabilities.logprobs`.
 */
export function confidenceGuidedStopping(settings: CgesSettings, spec = "cges"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      requireLogprobs(ctx, "cges");
      const log = new CandidateLog(ctx, { strategy: "cges" });
      const posteriorOf = (candidates: readonly Candidate[]) =>
        answerPosterior(
          candidates,
          candidates.map((c) => c.confidence ?? Number.NaN),
          settings.collision,
          ctx.sameAnswer,
        );
      const stopReason = await sampleUntil(problem, ctx, { ...settings, logprobs: true }, log, {
        max: settings.n,
        batch: settings.batch,
        annotate: (c) => {
          c.confidence = sampleReliability(c, settings.window);
        },
        stop: (candidates) => {
          const posterior = posteriorOf(candidates);
          return posterior.lead >= 0 && posterior.answers[posterior.lead]!.probability >= settings.threshold;
        },
      });
      const posterior = posteriorOf(log.candidates);
      const lead = posterior.answers[posterior.lead];
      ctx.trace.update(log.root, {
        meta: {
          strategy: "cges",
          samples: log.candidates.length,
          probability: lead?.probability ?? 0,
          unseen: posterior.unseen,
          posterior: Object.fromEntries(posterior.answers.map((a) => [a.answer, a.probability])),
        },
      });
      if (!lead) {
        const outcome = log.outcome(-1, stopReason);
        return { ...outcome, output: log.candidates[0]?.text ?? "" };
      }
      // The member that speaks for the answer: the most reliable one.
      const chosen = lead.members.reduce((a, b) =>
        (log.candidates[b]!.confidence ?? 0) > (log.candidates[a]!.confidence ?? 0) ? b : a,
      );
      return log.outcome(chosen, stopReason, { answer: lead.answer, members: lead.members });
    },
  };
}
