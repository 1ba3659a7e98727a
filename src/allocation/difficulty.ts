/**
 * Cheap difficulty estimates from a problem's warm-up samples. Each is a number where higher means
 * easier, so that one binning convention serves them all. Pure functions: the callers (the `auto`
 * strategy at run time, the policy fit over stored runs) supply the warm-up's answers, scores or
 * confidences.
 */
import type { AnswerEquivalence } from "../core/scorer.js";
import { majorityVote } from "../strategies/vote.js";

/**
 * The difficulty estimators a policy can use.
 *
 * - `agreement`: the share of the warm-up samples that gave the most frequent answer (no answer
 *   counts against it).
 * - `score`: the mean scorer (verifier / PRM) value of the warm-up samples.
 * - `confidence`: the mean over the warm-up samples of their mean token log-probability (the model's
 *   own confidence, ≤ 0).
 * - `predicted`: the solve rate a logistic model predicts from several warm-up features (agreement,
 *   the scorer's values, solution length; src/allocation/predictor.ts), fitted on the tuning runs.
 * - `oracle`: the problem's true solve rate over its whole sample pool. Needs the gold answer, so it
 *   is only an upper bound for analysis: the `auto` strategy refuses an oracle policy.
 */
export const DIFFICULTY_ESTIMATORS = ["agreement", "score", "confidence", "predicted", "oracle"] as const;

/** One of {@link DIFFICULTY_ESTIMATORS}. */
export type DifficultyEstimator = (typeof DIFFICULTY_ESTIMATORS)[number];

/** Share of `answers` held by the largest class of equivalent answers (0 when none was extracted). */
export function agreement(answers: readonly (string | null)[], same: AnswerEquivalence): number {
  if (answers.length === 0) return 0;
  const top = majorityVote(answers, same);
  return top === null ? 0 : top.members.length / answers.length;
}

/** Mean of the finite values (NaN scores are left out); NaN when none is finite. */
export function meanFinite(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  return finite.reduce((a, b) => a + b, 0) / finite.length;
}

/** Mean log-probability of one sample's tokens (its own confidence); NaN without tokens. */
export function meanTokenLogprob(logprobs: readonly number[]): number {
  return meanFinite(logprobs);
}

/** Share of correct samples: the oracle difficulty (higher is easier). */
export function solveRate(correct: readonly boolean[]): number {
  if (correct.length === 0) return 0;
  return correct.filter(Boolean).length / correct.length;
}
