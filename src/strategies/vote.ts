import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate } from "../core/strategy.js";

/**
 * The voting helpers of the strategies, in one place: answer classes, the (weighted) majority vote,
 * the score-weighted vote with its aggregates, and the vote tallies traces record. Pure functions.
 * (The eval metrics estimate vote accuracies over sample pools with their own, pool-specific code.)
 */

/** One class of equivalent answers and the candidates (by index) that gave it. */
export interface AnswerClass {
  answer: string;
  members: number[];
  /** Sum of member weights (the member count for an unweighted vote). */
  weight: number;
}

/**
 * Groups answers into classes of equivalent answers, in order of first appearance. `null` answers
 * (nothing extracted) join no class. Pairwise equivalence, so `0.5` and `1/2` can meet.
 */
export function groupAnswers(
  answers: readonly (string | null)[],
  same: AnswerEquivalence,
  weights?: readonly number[],
): AnswerClass[] {
  const classes: AnswerClass[] = [];
  answers.forEach((answer, index) => {
    if (answer === null) return;
    const weight = weights ? weights[index]! : 1;
    const home = classes.find((c) => same(c.answer, answer));
    if (home) {
      home.members.push(index);
      home.weight += Number.isFinite(weight) ? weight : 0;
    } else {
      classes.push({ answer, members: [index], weight: Number.isFinite(weight) ? weight : 0 });
    }
  });
  return classes;
}

/**
 * Majority (or weighted-majority) vote. Ties go to the class whose first member came first, so the
 * result is deterministic for a given candidate order. Returns null when no answer was extracted.
 */
export function majorityVote(
  answers: readonly (string | null)[],
  same: AnswerEquivalence,
  weights?: readonly number[],
): AnswerClass | null {
  let best: AnswerClass | null = null;
  for (const c of groupAnswers(answers, same, weights)) {
    if (best === null || c.weight > best.weight) best = c;
  }
  return best;
}

/** Index of the highest score; NaN counts as −∞, ties go to the lowest index; -1 for an empty list. */
export function argmax(scores: readonly number[]): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  scores.forEach((raw, i) => {
    const value = Number.isNaN(raw) ? Number.NEGATIVE_INFINITY : raw;
    if (best < 0 || value > bestValue) {
      best = i;
      bestValue = value;
    }
  });
  return best;
}

/** Answer → summed weight of its class (the member count without weights), for traces. */
export function answerWeights(
  answers: readonly (string | null)[],
  same: AnswerEquivalence,
  weights?: readonly number[],
): Record<string, number> {
  return Object.fromEntries(groupAnswers(answers, same, weights).map((c) => [c.answer, c.weight]));
}

/** Vote counts by answer and the number of candidates without one, for traces. */
export function voteCounts(
  candidates: readonly Candidate[],
  same: AnswerEquivalence,
): { votes: Record<string, number>; noAnswer: number } {
  const classes = groupAnswers(
    candidates.map((c) => c.answer),
    same,
  );
  return {
    votes: Object.fromEntries(classes.map((c) => [c.answer, c.members.length])),
    noAnswer: candidates.filter((c) => c.answer === null).length,
  };
}

/** How the scores of one answer's candidates add up to that answer's weight. */
export type ScoreAggregate = "sum" | "max" | "mean";

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
