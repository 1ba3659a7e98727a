import type { AnswerEquivalence } from "../core/scorer.js";

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
