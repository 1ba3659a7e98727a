/**
 * Features of a problem's warm-up samples for the `predicted` difficulty estimator: answer agreement,
 * the scorer's view of the samples, and how long they are. Each is a number computed the same way
 * from stored pool samples (`deliberate tune`) and from the warm-up candidates `auto` draws at run
 * time. Pure.
 */
import { ConfigError } from "../core/errors.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import { weightedMajority } from "../strategies/vote.js";
import { agreement, meanFinite } from "./difficulty.js";

/**
 * The warm-up features.
 *
 * - `agreement`: share of the samples in the largest class of equivalent answers.
 * - `answered`: share of the samples with an extracted answer.
 * - `meanScore`, `maxScore`, `minScore`: mean, highest and lowest scorer value (needs a scorer).
 * - `weightedAgreement`: share of the summed scores held by the answer class a weighted vote picks
 *   (needs a scorer; 0 when no sample has a positive score).
 * - `logTokens`: log of the samples' mean generated tokens (long solutions go with hard problems).
 */
export const WARMUP_FEATURES = [
  "agreement",
  "answered",
  "meanScore",
  "maxScore",
  "minScore",
  "weightedAgreement",
  "logTokens",
] as const;

/** One of {@link WARMUP_FEATURES}. */
export type WarmupFeature = (typeof WARMUP_FEATURES)[number];

/** Features that need scored samples. */
export const SCORE_FEATURES: readonly WarmupFeature[] = [
  "meanScore",
  "maxScore",
  "minScore",
  "weightedAgreement",
];

/** What a feature needs of one warm-up sample (a stored pool sample or a run-time candidate). */
export interface FeatureSample {
  answer: string | null;
  /** Scorer value; required by the score features. */
  score?: number | undefined;
  /** Generated tokens. */
  tokens: number;
}

function scoresOf(samples: readonly FeatureSample[], feature: WarmupFeature): number[] {
  return samples.map((s) => {
    if (s.score === undefined) {
      throw new ConfigError(`the warm-up feature ${feature} needs scored samples`, {
        hint: "evaluate with --scorer SPEC (or run auto with a scorer), or fit without score features",
      });
    }
    return s.score;
  });
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

/**
 * One feature of a warm-up. Scores that are NaN are left out of means and extremes; a warm-up without
 * a finite score gets 0 for them, as it gets 0 agreement without answers.
 *
 * @throws ConfigError when a score feature meets an unscored sample.
 */
export function warmupFeature(
  feature: WarmupFeature,
  samples: readonly FeatureSample[],
  same: AnswerEquivalence,
): number {
  if (samples.length === 0) throw new ConfigError("warm-up features need at least one sample");
  switch (feature) {
    case "agreement":
      return agreement(
        samples.map((s) => s.answer),
        same,
      );
    case "answered":
      return samples.filter((s) => s.answer !== null).length / samples.length;
    case "meanScore":
      return finiteOr(meanFinite(scoresOf(samples, feature)), 0);
    case "maxScore":
      return finiteOr(Math.max(...scoresOf(samples, feature).filter(Number.isFinite)), 0);
    case "minScore":
      return finiteOr(Math.min(...scoresOf(samples, feature).filter(Number.isFinite)), 0);
    case "weightedAgreement": {
      const scores = scoresOf(samples, feature).map((s) => (Number.isFinite(s) && s > 0 ? s : 0));
      const total = scores.reduce((a, b) => a + b, 0);
      if (total === 0) return 0;
      const top = weightedMajority(
        samples.map((s, i) => ({ answer: s.answer, score: scores[i]! })),
        same,
        "sum",
      );
      return top === null || top.fallback ? 0 : top.weight / total;
    }
    case "logTokens":
      return Math.log(1 + samples.reduce((sum, s) => sum + s.tokens, 0) / samples.length);
  }
}

/** The given features of a warm-up, in order. */
export function warmupFeatures(
  features: readonly WarmupFeature[],
  samples: readonly FeatureSample[],
  same: AnswerEquivalence,
): number[] {
  return features.map((f) => warmupFeature(f, samples, same));
}
