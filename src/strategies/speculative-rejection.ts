import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, extendCandidate, toCandidate } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { requireScorer } from "./requirements.js";
import { draw, roundStop, settleAll, shareBudget, stopReasonOf } from "./rounds.js";
import { argmax } from "./vote.js";

/** Settings of {@link speculativeRejection}. */
export interface SpeculativeRejectionSettings extends SampleSettings {
  /** Tokens generated before the first rejection point, and between rejection points. */
  tokens: number;
  /** Fraction of the unfinished candidates stopped at each rejection point. */
  reject: number;
  /** Number of rejection points. */
  rounds: number;
}

/** The complete steps of a partial solution (up to its last delimiter), or all of it when none is. */
export function completeSteps(text: string, delimiter: string): string {
  const at = text.lastIndexOf(delimiter);
  return at > 0 ? text.slice(0, at + delimiter.length) : text;
}

/**
 * Indices (into `scores`) of the `count` lowest scores: NaN first, then ascending; among equal scores
 * the later index goes first, so earlier samples survive ties.
 */
export function worst(scores: readonly number[], count: number): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v);
  return scores
    .map((_, i) => i)
    .sort((a, b) => key(scores[a]!) - key(scores[b]!) || b - a)
    .slice(0, Math.max(0, count));
}

/**
 * Speculative rejection (Sun et al. 2024 "Fast Best-of-N Decoding via Speculative
 * Rejection"): start `n` candidates, generate `tokens` tokens each, score the partial generations
 * with the scorer (a PRM: only their complete steps are scored), stop the worst `reject` fraction of
 * the unfinished ones, and continue the survivors from their prefixes (the embedded backend reuses
 * their KV state); after `rounds` rejection points the survivors run to the end. The answer is the
 * best-scored complete candidate that was not rejected, as in best-of-n. Rejected candidates keep their
 * partial score and trace status `pruned`.
 */
export function speculativeRejection(
  settings: SpeculativeRejectionSettings,
  spec = "speculative-rejection",
): Strategy {
  return {
    spec,
    needsScorer: true,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const scorer = requireScorer(ctx, "speculative-rejection");
      const maxTokens = settings.maxTokens ?? ctx.defaults.maxTokens;
      const log = new CandidateLog(ctx, { strategy: "speculative-rejection", tokens: settings.tokens });
      const base = ctx.rng.seed();
      const rejected = new Set<number>();
      const unfinished = (i: number) => {
        const c = log.candidates[i]!;
        return !rejected.has(i) && c.finishReason === "length" && c.completionTokens < maxTokens;
      };
      let stopReason: StopReason = "completed";
      try {
        const first = await draw(problem, ctx, settings, {
          n: settings.n,
          seed: base,
          maxTokens: Math.min(settings.tokens, maxTokens),
        });
        for (const c of first) log.add(toCandidate(c, ctx), "candidate", { round: 0 });
        for (let round = 1; round <= settings.rounds; round++) {
          const alive = log.candidates.map((_, i) => i).filter(unfinished);
          if (alive.length === 0) break;
          const halt = roundStop(ctx);
          if (halt) {
            stopReason = halt;
            break;
          }
          // Score the partial generations and stop the worst fraction.
          const partial = await scorer.score(
            problem,
            alive.map((i) => completeSteps(log.candidates[i]!.text, ctx.defaults.stepDelimiter)),
            { signal: ctx.signal },
          );
          const scores = alive.map((_, j) => partial.scores[j]?.value ?? Number.NaN);
          alive.forEach((i, j) => {
            log.candidates[i]!.score = scores[j]!;
          });
          const out = new Set(
            worst(scores, Math.floor(settings.reject * alive.length)).map((j) => alive[j]!),
          );
          for (const i of out) {
            rejected.add(i);
            log.update(i, "pruned", { rejectedAt: round, partialScore: log.candidates[i]!.score });
          }
          const survivors = alive.filter((i) => !out.has(i));
          log.progress(`rejection ${round}: ${out.size} stopped, ${survivors.length} continue`);
          // Continue the survivors from their prefixes, all at once (the backend batches them).
          const last = round === settings.rounds;
          const each = shareBudget(ctx, survivors.length, maxTokens);
          await settleAll(
            survivors.map(async (i) => {
              const current = log.candidates[i]!;
              const room = Math.min(each, maxTokens - current.completionTokens);
              const [next] = await draw(problem, ctx, settings, {
                n: 1,
                prefix: current.text,
                seed: base + round * settings.n + i,
                maxTokens: last ? room : Math.min(settings.tokens, room),
              });
              const extended = extendCandidate(current, next!, ctx);
              delete extended.score;
              log.candidates[i] = extended;
              log.update(i, undefined, { round });
            }),
          );
        }
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      // Final pick: best-of-n over the candidates that were never rejected.
      const kept = log.candidates.map((_, i) => i).filter((i) => !rejected.has(i));
      if (kept.length > 0) {
        try {
          const final = await scorer.score(
            problem,
            kept.map((i) => log.candidates[i]!.text),
            { signal: ctx.signal },
          );
          kept.forEach((i, j) => {
            const s = final.scores[j];
            log.candidates[i]!.score = s ? s.value : Number.NaN;
            if (s?.steps) log.candidates[i]!.stepScores = s.steps;
            log.update(i);
          });
        } catch (error) {
          stopReason = stopReasonOf(error);
        }
      }
      const best = argmax(kept.map((i) => finalScore(log.candidates[i]!)));
      ctx.trace.update(log.root, {
        meta: { strategy: "speculative-rejection", tokens: settings.tokens, rejected: rejected.size },
      });
      return log.outcome(best >= 0 ? kept[best]! : -1, stopReason);
    },
  };
}

function finalScore(c: Candidate): number {
  return c.score ?? Number.NaN;
}
