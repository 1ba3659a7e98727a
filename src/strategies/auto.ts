/**
 * `auto`: compute-optimal allocation at run time (Snell et al. 2024, "Scaling LLM Test-Time Compute
 * Optimally can be More Effective than Scaling Model Parameters"). It draws the policy's warm-up,
 * estimates the problem's difficulty from it, and runs the strategy the fitted policy gives that
 * difficulty bin (docs/allocation.md).
 *
 * Seeds: the warm-up is samples `base … base+k−1` of one base seed, and a chosen `sc`, `wv` or `bon`
 * with the warm-up's sampling settings draws only its samples `base+k …`, so it sees exactly the
 * samples it would have drawn alone (the pool convention `deliberate tune` fits on). Any other
 * chosen strategy runs as it is, after the warm-up.
 */

import { agreement, meanFinite, meanTokenLogprob } from "../allocation/difficulty.js";
import { SCORE_FEATURES, warmupFeatures } from "../allocation/features.js";
import { type AllocationPolicy, binIndex, checkFingerprint } from "../allocation/policy.js";
import { predictDifficulty } from "../allocation/predictor.js";
import { ConfigError } from "../core/errors.js";
import type { Problem } from "../core/prompt.js";
import { parseSpec } from "../core/spec.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { requireLogprobs, requireScorer } from "./requirements.js";
import {
  CandidateLog,
  draw,
  type SampleSettings,
  scoreCandidates,
  stopReasonOf,
  toCandidate,
} from "./sampling.js";
import { voteOutcome } from "./self-consistency.js";
import { argmax } from "./vote.js";
import { selectWeighted } from "./weighted-vote.js";

/** What `auto` chose for a problem; in the outcome's `meta.allocation` and on its trace root. */
export interface AllocationChoice {
  estimator: AllocationPolicy["estimator"];
  /** The difficulty estimate (higher is easier). */
  difficulty: number;
  bin: number;
  strategy: string;
  /** Warm-up samples drawn, and how many of them the chosen strategy reused as its own. */
  warmup: number;
  reused: number;
}

/** How a chosen spec reuses the warm-up: the selection over its `n` samples, or none. */
interface Reuse {
  select: "vote" | "weighted" | "best";
  n: number;
}

const REUSABLE: Record<string, Reuse["select"]> = {
  "self-consistency": "vote",
  sc: "vote",
  "weighted-vote": "weighted",
  wv: "weighted",
  "best-of-n": "best",
  bon: "best",
};

/**
 * Whether `spec` is a sampling strategy with the warm-up's settings that the warm-up can be the first
 * samples of (`self-consistency`, `weighted-vote` with `aggregate=sum`, `best-of-n`).
 */
export function reuseOf(spec: string, policy: AllocationPolicy): Reuse | null {
  const parsed = parseSpec(spec, "strategy spec");
  const select = REUSABLE[parsed.name];
  if (!select || parsed.positional.length > 0) return null;
  const p = parsed.params;
  const w = policy.warmup;
  const same = (key: string, value: number, fallback: number) => Number(p[key] ?? fallback) === value;
  if (
    !same("temperature", w.temperature, 0.8) ||
    !same("topP", w.topP, 1) ||
    !same("topK", 0, 0) ||
    p.maxTokens === undefined ||
    Number(p.maxTokens) !== w.maxTokens ||
    (p.aggregate !== undefined && p.aggregate !== "sum")
  ) {
    return null;
  }
  const n = Number(p.n ?? 16);
  return Number.isInteger(n) && n >= 1 ? { select, n } : null;
}

/**
 * The `auto` strategy over a fitted policy. `createChosen` builds a bin's strategy from its spec (the
 * registry's `createStrategy`, passed in to keep the import graph acyclic).
 *
 * @throws ConfigError for an oracle policy (it needs the gold answer: an analysis ceiling only).
 */
export function autoStrategy(
  policy: AllocationPolicy,
  createChosen: (spec: string) => Strategy,
  spec = "auto",
): Strategy {
  if (policy.estimator === "oracle") {
    throw new ConfigError(
      "an oracle policy cannot run: its difficulty is the solve rate against the gold answer",
      {
        hint: "it is the upper bound printed by deliberate tune; fit a runnable one with --estimator agreement, score or confidence",
      },
    );
  }
  const chosen = policy.bins.map((bin) => createChosen(bin.strategy));
  const scoresWarmup =
    policy.estimator === "score" ||
    (policy.estimator === "predicted" &&
      (policy.predictor?.features ?? []).some((f) => SCORE_FEATURES.includes(f)));
  const needsScorer = scoresWarmup || chosen.some((s) => s.needsScorer);
  return {
    spec,
    needsScorer,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      checkFingerprint(policy, { model: { id: ctx.model.id } }, "the auto policy");
      if (scoresWarmup) requireScorer(ctx, `auto with a ${policy.estimator} policy`);
      if (policy.estimator === "confidence") requireLogprobs(ctx, "auto with a confidence policy");
      const k = policy.warmup.samples;
      const settings: SampleSettings = {
        n: k,
        temperature: policy.warmup.temperature,
        topP: policy.warmup.topP,
        topK: 0,
        maxTokens: policy.warmup.maxTokens,
        ...(policy.estimator === "confidence" ? { logprobs: true } : {}),
      };
      const base = ctx.rng.seed();
      const log = new CandidateLog(ctx, { strategy: "auto", estimator: policy.estimator });
      let warmup: Candidate[];
      try {
        warmup = (await draw(problem, ctx, settings, { n: k, seed: base })).map((c) => toCandidate(c, ctx));
        if (scoresWarmup) await scoreCandidates(problem, ctx, warmup);
      } catch (error) {
        return log.outcome(-1, stopReasonOf(error));
      }
      for (const c of warmup) {
        if (policy.estimator === "confidence")
          c.confidence = meanTokenLogprob((c.logprobs ?? []).map((t) => t.logprob));
        log.add(c, "candidate", { warmup: true });
      }
      const difficulty = estimate(policy, warmup, ctx);
      const bin = binIndex(policy.bins, difficulty);
      const strategy = policy.bins[bin]!.strategy;
      // A pool-fitted policy's sampling choices have n ≥ k; a smaller one runs on its own.
      const candidateReuse = reuseOf(strategy, policy);
      const reuse = candidateReuse && candidateReuse.n >= k ? candidateReuse : null;
      const choice: AllocationChoice = {
        estimator: policy.estimator,
        difficulty,
        bin,
        strategy,
        warmup: k,
        reused: reuse ? k : 0,
      };
      ctx.trace.update(log.root, { meta: { strategy: "auto", allocation: choice } });
      log.progress(`warm-up: ${policy.estimator} ${difficulty.toFixed(3)}, bin ${bin}: ${strategy}`);
      const outcome = reuse
        ? await continueWarmup(problem, ctx, log, reuse, settings, base)
        : await runAfterWarmup(problem, ctx, log, chosen[bin]!);
      return { ...outcome, meta: { ...outcome.meta, allocation: choice } };
    },
  };
}

function estimate(policy: AllocationPolicy, warmup: readonly Candidate[], ctx: StrategyContext): number {
  switch (policy.estimator) {
    case "agreement":
      return agreement(
        warmup.map((c) => c.answer),
        ctx.sameAnswer,
      );
    case "score":
      return meanFinite(warmup.map((c) => c.score ?? Number.NaN));
    case "confidence":
      return meanFinite(warmup.map((c) => c.confidence ?? Number.NaN));
    case "predicted": {
      if (!policy.predictor) throw new ConfigError("a predicted-difficulty policy needs its predictor");
      const samples = warmup.map((c) => ({ answer: c.answer, score: c.score, tokens: c.completionTokens }));
      return predictDifficulty(
        policy.predictor,
        warmupFeatures(policy.predictor.features, samples, ctx.sameAnswer),
      );
    }
    case "oracle":
      throw new ConfigError("an oracle policy cannot run");
  }
}

/** Draws the chosen strategy's samples beyond the warm-up and selects over all of its `n`. */
async function continueWarmup(
  problem: Problem,
  ctx: StrategyContext,
  log: CandidateLog,
  reuse: Reuse,
  settings: SampleSettings,
  base: number,
): Promise<StrategyOutcome> {
  const k = log.candidates.length;
  let stopReason: StrategyOutcome["stopReason"] = "completed";
  try {
    if (reuse.n > k) {
      const more = (await draw(problem, ctx, settings, { n: reuse.n - k, seed: base + k })).map((c) =>
        toCandidate(c, ctx),
      );
      if (reuse.select !== "vote") await scoreCandidates(problem, ctx, more);
      for (const c of more) log.add(c);
    }
    if (reuse.select !== "vote") {
      await scoreCandidates(
        problem,
        ctx,
        log.candidates.filter((c) => c.score === undefined),
      );
      for (let i = 0; i < log.candidates.length; i++) log.update(i);
    }
  } catch (error) {
    stopReason = stopReasonOf(error);
  }
  if (reuse.select === "vote") return voteOutcome(log, ctx, stopReason);
  if (reuse.select === "weighted") return selectWeighted(log, ctx, "sum", stopReason);
  return log.outcome(argmax(log.candidates.map((c) => c.score ?? Number.NaN)), stopReason);
}

/** Runs a strategy that cannot reuse the warm-up; its candidates follow the warm-up's. */
async function runAfterWarmup(
  problem: Problem,
  ctx: StrategyContext,
  log: CandidateLog,
  strategy: Strategy,
): Promise<StrategyOutcome> {
  const k = log.candidates.length;
  let outcome: StrategyOutcome;
  try {
    outcome = await strategy.run(problem, ctx);
  } catch (error) {
    return { ...log.outcome(-1, stopReasonOf(error)), candidates: log.candidates };
  }
  return {
    ...outcome,
    candidates: [...log.candidates, ...outcome.candidates],
    chosen: outcome.chosen >= 0 ? outcome.chosen + k : -1,
  };
}
