/**
 * Independent reference computations for the metrics tests: brute force over every k-subset of a
 * pool, exact binomials, and random small pools with ties and unparsed (null) answers.
 */
import assert from "node:assert/strict";
import type { Rng } from "../../src/core/rng.js";

/** Every k-subset of 0..n−1, as index lists. */
export function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

/** The binomial coefficient C(n, k), exact. */
export function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** Class correctness as documented: fraction of the pool's members of that answer that are correct. */
function classCorrectness(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
): Map<string, number> {
  const hits = new Map<string, [number, number]>();
  answers.forEach((a, i) => {
    if (a === null) return;
    const h = hits.get(a) ?? [0, 0];
    h[0] += correct[i] ? 1 : 0;
    h[1] += 1;
    hits.set(a, h);
  });
  return new Map([...hits].map(([a, [c, t]]) => [a, c / t]));
}

/** Weighted vote of one subset with uniform tie-breaking in expectation; null answers never win. */
function voteOnSubset(
  subset: readonly number[],
  answers: readonly (string | null)[],
  weight: (i: number) => number,
  corr: Map<string, number>,
): number {
  const w = new Map<string, number>();
  for (const i of subset) {
    const a = answers[i];
    if (a === null || a === undefined) continue;
    w.set(a, (w.get(a) ?? 0) + weight(i));
  }
  if (w.size === 0) return 0;
  const best = Math.max(...w.values());
  const tied = [...w].filter(([, v]) => Math.abs(v - best) <= 1e-12 * Math.max(1, Math.abs(best)));
  return tied.reduce((s, [a]) => s + corr.get(a)!, 0) / tied.length;
}

/** maj@k as the mean over every k-subset of the pool. */
export function bruteMajority(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
  k: number,
): number {
  const corr = classCorrectness(answers, correct);
  const all = subsets(answers.length, k);
  return all.reduce((s, sub) => s + voteOnSubset(sub, answers, () => 1, corr), 0) / all.length;
}

/** Weighted maj@k (votes weighted by score) as the mean over every k-subset. */
export function bruteWeighted(
  answers: readonly (string | null)[],
  scores: readonly number[],
  correct: readonly boolean[],
  k: number,
): number {
  const corr = classCorrectness(answers, correct);
  const all = subsets(answers.length, k);
  return all.reduce((s, sub) => s + voteOnSubset(sub, answers, (i) => scores[i]!, corr), 0) / all.length;
}

/** BoN@k as the mean over every k-subset, a tie at the top split evenly. */
export function bruteBestOf(scores: readonly number[], correct: readonly boolean[], k: number): number {
  const all = subsets(scores.length, k);
  let total = 0;
  for (const sub of all) {
    const best = Math.max(...sub.map((i) => scores[i]!));
    const tied = sub.filter((i) => scores[i] === best);
    total += tied.filter((i) => correct[i]).length / tied.length;
  }
  return total / all.length;
}

/** A random pool of n answers over a small alphabet (null included), its marks and coarse scores. */
export function randomPool(
  rng: Rng,
  n: number,
): { answers: (string | null)[]; correct: boolean[]; scores: number[] } {
  const alphabet = ["a", "b", "c", "d", null];
  const weights = alphabet.map(() => rng.next() + 0.05);
  const answers = Array.from({ length: n }, () => alphabet[rng.weighted(weights)]!);
  const right = new Set(["a", ...(rng.next() < 0.3 ? ["c"] : [])]);
  const correct = answers.map((a) => a !== null && right.has(a));
  // Coarse scores so that ties happen.
  const scores = answers.map(() => [0.5, 1, 1.5, 2][rng.int(4)]!);
  return { answers, correct, scores };
}

/** Asserts |actual − expected| ≤ tol. */
export const close = (actual: number, expected: number, tol: number, msg: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${msg}: ${actual} vs ${expected}`);
