import type { Problem } from "../core/prompt.js";
import { Rng } from "../core/rng.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, type SampleSettings, sampleUntil } from "./sampling.js";
import { voteOutcome } from "./self-consistency.js";
import { groupAnswers } from "./vote.js";

/** Stopping criterion of adaptive consistency. */
export type StoppingCriterion = "beta" | "dirichlet";

/** Settings of {@link adaptiveConsistency}; `n` is the most samples. */
export interface AdaptiveSettings extends SampleSettings {
  /** Samples per round. */
  batch: number;
  criterion: StoppingCriterion;
  /** Stop once the posterior probability that the leading answer is the true majority reaches it. */
  threshold: number;
}

/**
 * P(p₁ > p₂) for the two leading answers with counts `a` ≥ `b` under a uniform prior: the probability
 * that X ~ Beta(a + 1, b + 1) exceeds ½, which for integer counts is P(Binomial(a + b + 1, ½) ≤ a).
 */
export function betaStopProbability(a: number, b: number): number {
  const trials = a + b + 1;
  // Σ_{j ≤ a} C(trials, j) / 2^trials, in log space so that large counts do not overflow.
  let logTerm = -trials * Math.LN2; // j = 0
  let total = Math.exp(logTerm);
  for (let j = 1; j <= a; j++) {
    logTerm += Math.log(trials - j + 1) - Math.log(j);
    total += Math.exp(logTerm);
  }
  return Math.min(1, total);
}

/**
 * P(the leading answer has the highest probability) under a Dirichlet(counts + 1) posterior over the
 * answers seen plus one unseen answer (count 0), estimated with `draws` seeded Monte-Carlo samples.
 * The unseen class keeps a lone early answer from looking decided (with one class this equals the
 * Beta criterion).
 */
export function dirichletStopProbability(counts: readonly number[], rng: Rng, draws = 4000): number {
  if (counts.length === 0) return 0;
  const alphas = [...counts.map((c) => c + 1), 1];
  const lead = counts.indexOf(Math.max(...counts));
  let wins = 0;
  for (let d = 0; d < draws; d++) {
    // Unnormalised Dirichlet draw: Gamma(α) for integer α is a sum of α exponentials.
    let leadValue = 0;
    let otherMax = 0;
    alphas.forEach((alpha, i) => {
      let g = 0;
      for (let k = 0; k < alpha; k++) g -= Math.log(1 - rng.next());
      if (i === lead) leadValue = g;
      else if (g > otherMax) otherMax = g;
    });
    if (leadValue > otherMax) wins++;
  }
  return wins / draws;
}

/** Whether the answers so far decide the majority under the criterion (null answers are ignored). */
export function majorityDecided(
  candidates: readonly Pick<Candidate, "answer">[],
  same: AnswerEquivalence,
  settings: Pick<AdaptiveSettings, "criterion" | "threshold">,
  rng: Rng,
): { decided: boolean; probability: number } {
  const counts = groupAnswers(
    candidates.map((c) => c.answer),
    same,
  )
    .map((c) => c.members.length)
    .sort((x, y) => y - x);
  if (counts.length === 0) return { decided: false, probability: 0 };
  const probability =
    settings.criterion === "beta"
      ? betaStopProbability(counts[0]!, counts[1] ?? 0)
      : dirichletStopProbability(counts, rng);
  return { decided: probability >= settings.threshold, probability };
}

/**
 * Adaptive consistency (Aggarwal et al. 2023 "Let's Sample Step by Step: Adaptive-Consistency for
 * Efficient Reasoning and Coding with LLMs"): sample in rounds of `batch` and stop as soon as the
 * posterior probability that the current leading answer is the true majority reaches `threshold`
 * (Beta criterion on the two leading counts, or Dirichlet over all answers), at most `n` samples;
 * then majority vote. Sample seeds follow the run seed as in `sc:n=N`, so a run is the prefix of the
 * self-consistency run it replaces.
 */
export function adaptiveConsistency(settings: AdaptiveSettings, spec = "adaptive-sc"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const log = new CandidateLog(ctx, { strategy: "adaptive-sc", criterion: settings.criterion });
      let probability = 0;
      // The Monte-Carlo draws use their own generator, so that the sampling seeds (drawn from
      // ctx.rng) match those of `sc` under the same run seed.
      const stopRng = new Rng(ctx.seed ^ 0x5bd1e995);
      const stopReason = await sampleUntil(problem, ctx, settings, log, {
        max: settings.n,
        batch: settings.batch,
        stop: (candidates) => {
          const verdict = majorityDecided(candidates, ctx.sameAnswer, settings, stopRng);
          probability = verdict.probability;
          return verdict.decided;
        },
      });
      return voteOutcome(log, ctx, stopReason, { samples: log.candidates.length, probability });
    },
  };
}
