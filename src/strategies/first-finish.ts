import { AbortedError, BudgetExhaustedError } from "../core/errors.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, toCandidate } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { draw, settleAll, shareBudget, stopReasonOf } from "./rounds.js";
import { majorityVote } from "./vote.js";

/** Settings of {@link firstFinish}. */
export interface FirstFinishSettings extends SampleSettings {
  /** How many finished samples to wait for. */
  k: number;
  /** `vote`: majority over the first k finishers; `shortest`: the first to finish. */
  select: "vote" | "shortest";
}

/**
 * First Finish Search (Agarwal et al. 2025 "First Finish Search: Efficient Test-Time Scaling in Large
 * Language Models"): start `n` samples at once, keep the first `k` that finish (end of text or a stop
 * string), cancel the rest, and return the first finisher (`shortest`) or the majority answer of the
 * `k` (`vote`).
 *
 * Finishing order is observed for real: every sample is its own `n = 1` request with its own
 * AbortController (following the run's signal too), all issued at once, so a backend that batches
 * concurrent requests (the embedded one does: one sequence each) decodes them together and a sample
 * finishes when its request resolves. Once `k` have finished, the others are aborted: the embedded
 * backend stops them before their next token and reports `finishReason: "abort"` with the tokens they
 * really generated, which is what the meter counts. A request still waiting for a free sequence is
 * dropped with 0 tokens. Samples cut by `maxTokens` do not count as finished; when fewer than `k`
 * finish, the vote runs over those that did, or over all samples when none did. Seeds are `base + i`, as for `sc:n=N` under the same run
 * seed. Candidates are listed in the order their requests returned; `meta.sample` is `i`.
 */
export function firstFinish(settings: FirstFinishSettings, spec = "first-finish"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const log = new CandidateLog(ctx, { strategy: "first-finish", k: settings.k });
      const base = ctx.rng.seed();
      let each: number;
      try {
        each = shareBudget(ctx, settings.n, settings.maxTokens ?? ctx.defaults.maxTokens);
      } catch (error) {
        return log.outcome(-1, stopReasonOf(error));
      }
      const controllers = Array.from({ length: settings.n }, () => new AbortController());
      const finished: number[] = [];
      let cancelled = false;
      let budgetHit = false;
      await settleAll(
        controllers.map(async (controller, i) => {
          const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
          let candidate: Candidate;
          try {
            const [completion] = await draw(problem, ctx, settings, {
              n: 1,
              seed: base + i,
              maxTokens: each,
              signal,
            });
            candidate = toCandidate(completion!, ctx);
          } catch (error) {
            if (!(error instanceof BudgetExhaustedError || error instanceof AbortedError)) {
              // A failing backend: stop the other samples too, then fail the run.
              for (const other of controllers) other.abort();
              throw error;
            }
            // Aborted before it started, or refused by the budget: nothing was generated.
            if (stopReasonOf(error) === "budget") budgetHit = true;
            candidate = { text: "", answer: null, completionTokens: 0, finishReason: "abort" };
          }
          const done = candidate.finishReason === "stop";
          const index = log.add(candidate, done ? "candidate" : "pruned", {
            sample: i,
            ...(done ? { finished: finished.length + 1 } : {}),
          });
          if (!done || finished.length >= settings.k) return;
          finished.push(index);
          if (finished.length === settings.k) {
            cancelled = true;
            for (const other of controllers) if (other !== controller) other.abort();
            log.progress(`${settings.k} finished: cancelling the rest`);
          }
        }),
      );
      let stopReason: StopReason = "completed";
      if (ctx.signal?.aborted) stopReason = "aborted";
      else if (budgetHit) stopReason = "budget";
      else if (cancelled && log.candidates.some((c) => c.finishReason === "abort")) stopReason = "early-stop";
      const pool = finished.length > 0 ? finished : log.candidates.map((_, i) => i);
      if (settings.select === "shortest" && finished.length > 0) {
        return log.outcome(finished[0]!, stopReason);
      }
      const winner = majorityVote(
        pool.map((i) => log.candidates[i]!.answer),
        ctx.sameAnswer,
      );
      if (!winner) return log.outcome(finished[0] ?? -1, stopReason);
      const members = winner.members.map((m) => pool[m]!);
      return log.outcome(members[0]!, stopReason, { answer: winner.answer, members });
    },
  };
}
