import type { Problem } from "../core/prompt.js";
import { Rng } from "../core/rng.js";
import type { AnswerEquivalence } from "../core/scorer.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { sampleUntil } from "./rounds.js";
import { voteOutcome } from "./self-consistency.js";
import { argmax, groupAnswers } from "./vote.js";

/** Stopping criterion of adaptive consistency. */
export type StoppingCriterion = "beta" | "dirichlet" | "gain";

/** Settings of {@link adaptiveConsistency}; `n` is the most samples. */
export interface AdaptiveSettings extends SampleSettings {
  /** Samples per round. */
  batch: number;
  criterion: StoppingCriterion;
  /** Beta, Dirichlet: stop once the posterior probability that the leading answer is the true majority reaches it. */
  threshold: number;
  /** Gain: stop once the remaining samples are expected to add less accuracy than this. */
  epsilon: number;
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
      const g = gammaInt(alpha, rng);
      if (i === lead) leadValue = g;
      else if (g > otherMax) otherMax = g;
    });
    if (leadValue > otherMax) wins++;
  }
  return wins / draws;
}

/** A Gamma(α) draw for a positive integer α: the sum of α unit exponentials. */
function gammaInt(alpha: number, rng: Rng): number {
  let g = 0;
  for (let k = 0; k < alpha; k++) g -= Math.log(1 - rng.next());
  return g;
}

/**
 * Expected accuracy that `remaining` more samples would add to the vote, estimated with `draws`
 * seeded Monte-Carlo draws. Answer frequencies p follow a Dirichlet(counts + 1) posterior over the
 * answers seen (in order of first appearance, as the vote breaks ties) plus one unseen answer; taking
 * self-consistency's own premise that the most frequent answer is the right one, the gain is
 * P(the plurality after the remaining samples is argmax p) − P(the current leader is argmax p).
 * Stopping when it is below ε gives up less than ε expected accuracy against voting over all
 * samples: near zero both when the leader is decided and when the answers are so spread that more
 * samples would rarely find the most frequent one either.
 */
export function expectedVoteGain(
  counts: readonly number[],
  remaining: number,
  rng: Rng,
  draws = 2000,
): number {
  if (counts.length === 0) return 1;
  if (remaining <= 0) return 0;
  const seen = [...counts, 0];
  const lead = argmax(counts);
  let now = 0;
  let later = 0;
  const p = new Array<number>(seen.length);
  const final = new Array<number>(seen.length);
  for (let d = 0; d < draws; d++) {
    let total = 0;
    seen.forEach((c, i) => {
      p[i] = gammaInt(c + 1, rng);
      total += p[i]!;
    });
    const mode = argmax(p);
    if (mode === lead) now++;
    seen.forEach((c, i) => {
      final[i] = c;
    });
    for (let r = 0; r < remaining; r++) {
      let u = rng.next() * total;
      let i = 0;
      while (i < p.length - 1 && u >= p[i]!) u -= p[i++]!;
      final[i]!++;
    }
    if (argmax(final) === mode) later++;
  }
  return (later - now) / draws;
}

/** Whether the answers so far decide the majority under the criterion (null answers are ignored). */
export function majorityDecided(
  candidates: readonly Pick<Candidate, "answer">[],
  same: AnswerEquivalence,
  settings: Pick<AdaptiveSettings, "criterion" | "threshold"> &
    Partial<Pick<AdaptiveSettings, "n" | "epsilon">>,
  rng: Rng,
): { decided: boolean; probability: number } {
  const groups = groupAnswers(
    candidates.map((c) => c.answer),
    same,
  ).map((c) => c.members.length);
  if (groups.length === 0) return { decided: false, probability: 0 };
  if (settings.criterion === "gain") {
    // `probability` reports the expected gain here: the quantity compared with ε.
    const gain = expectedVoteGain(groups, (settings.n ?? candidates.length) - candidates.length, rng);
    return { decided: gain < (settings.epsilon ?? 0.01), probability: gain };
  }
  const counts = groups.sort((x, y) => y - x);
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
 * then majority vote. `criterion=gain` stops instead once the remaining samples are expected to add
 * less than `epsilon` accuracy to the vote ({@link expectedVoteGain}). Sample seeds follow the run seed as in `sc:n=N`, so a run is the prefix of the
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
