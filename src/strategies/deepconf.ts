import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog, extendCandidate, toCandidate } from "./candidates.js";
import { aggregateConfidence, groupMeans, quantile, type TokenSignal, tokenValue } from "./confidence.js";
import type { SampleSettings } from "./params.js";
import { requireLogprobs } from "./requirements.js";
import { draw, roundStop, settleAll, shareBudget, stopReasonOf } from "./rounds.js";
import { answerWeights, majorityVote } from "./vote.js";

/** Settings of {@link deepConf}; `n` is the most traces, warm-up included. */
export interface DeepConfSettings extends SampleSettings {
  /** Warm-up traces that set the threshold. */
  warmup: number;
  /** η: the fraction of warm-up traces whose confidence clears the threshold (0.1: DeepConf-low, 0.9: -high). */
  keep: number;
  /** Tokens per group (sliding window) of the group confidence. */
  window: number;
  /** Tokens generated per request between confidence checks. */
  chunk: number;
  /** τ: stop once the leading answer holds this share of the confidence-weighted vote (> 1: never). */
  consensus: number;
  /** Top alternatives per token, for the token confidence. */
  topLogprobs: number;
  /**
   * Per-token signal: `confidence` (the paper's: minus the mean top-k logprob), or `logprob` /
   * `entropy` (see `confidence.ts`); vote weights are the trace confidence for `confidence` and its
   * exponential (a geometric-mean probability) for the others, which are ≤ 0.
   */
  token: TokenSignal;
  /** Traces generated at once in the online phase; 0 = the backend's `maxParallel`. */
  batch: number;
}

/** A trace of the online phase while it is being generated. */
interface LiveTrace {
  sample: number;
  chunks: number;
  candidate: Candidate;
  values: number[];
}

/**
 * DeepConf online (Fu et al. 2025 "Deep Think with Confidence"). Token confidence is minus the mean
 * log-probability of the top-k alternatives; a trace's confidence is its lowest group confidence (the
 * lowest mean over a sliding window of `window` tokens).
 *
 * 1. Warm-up: `warmup` full traces; the threshold s is the (1 − keep) quantile of their confidences.
 * 2. Online: further traces, `batch` at a time, generated in chunks of `chunk` tokens, each chunk
 *    continuing the trace's prefix (the embedded backend reuses its KV state). After every chunk,
 *    a trace whose group confidence fell below s is stopped there and discarded.
 * 3. After every round of chunks, stop early once the leading answer's share of the
 *    confidence-weighted vote reaches `consensus`, or when `n` traces have been started.
 * 4. Answer: confidence-weighted majority vote over the voting traces: warm-up traces at or above s
 *    and online traces that were not stopped. If none votes, plain majority over every complete trace.
 *
 * Warm-up sample `i` has seed `base + i` (as in `sc`); online trace `t` starts its first chunk with
 * seed `base + t`. Candidates are listed warm-up first, then online traces as they end; stopped and
 * abandoned traces are recorded (status `pruned`) with the tokens they used.
 */
export function deepConf(settings: DeepConfSettings, spec = "deepconf"): Strategy {
  const confidenceOf = (values: readonly number[]) =>
    aggregateConfidence(values, "lowest-group", settings.window);
  const weightOf = (c: Candidate) => {
    const value = c.confidence ?? Number.NaN;
    if (!Number.isFinite(value)) return 0;
    return settings.token === "confidence" ? Math.max(0, value) : Math.exp(value);
  };
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      requireLogprobs(ctx, "deepconf");
      const maxTokens = settings.maxTokens ?? ctx.defaults.maxTokens;
      const log = new CandidateLog(ctx, { strategy: "deepconf" });
      const base = ctx.rng.seed();
      const voters: number[] = [];
      let threshold = Number.NaN;
      let stopReason: StopReason = "completed";
      const vote = () =>
        majorityVote(
          voters.map((i) => log.candidates[i]!.answer),
          ctx.sameAnswer,
          voters.map((i) => weightOf(log.candidates[i]!)),
        );
      const decided = () => {
        const top = vote();
        if (!top) return false;
        const total = voters.reduce((s, i) => s + weightOf(log.candidates[i]!), 0);
        return total > 0 && top.weight / total >= settings.consensus;
      };
      const live: LiveTrace[] = [];
      try {
        // 1. Warm-up.
        const warm = await draw(
          problem,
          ctx,
          { ...settings, logprobs: true },
          { n: Math.min(settings.warmup, settings.n), seed: base, topLogprobs: settings.topLogprobs },
        );
        const warmConfidence = warm.map((c) =>
          confidenceOf((c.logprobs ?? []).map((t) => tokenValue(t, settings.token))),
        );
        threshold = quantile(warmConfidence, 1 - settings.keep);
        warm.forEach((completion, i) => {
          const candidate = toCandidate(completion, ctx);
          candidate.confidence = warmConfidence[i]!;
          const votes = candidate.answer !== null && candidate.confidence >= threshold;
          const index = log.add(candidate, votes ? "candidate" : "pruned", { phase: "warmup", votes });
          if (votes) voters.push(index);
        });
        ctx.trace.update(log.root, { meta: { strategy: "deepconf", threshold } });
        log.progress(`warm-up: ${warm.length} traces, threshold ${threshold.toFixed(4)}`);
        // 2–3. Online generation with early termination.
        const batch = settings.batch > 0 ? settings.batch : ctx.model.capabilities.maxParallel;
        let started = warm.length;
        while (!decided() && (live.length > 0 || started < settings.n)) {
          while (live.length < batch && started < settings.n) {
            live.push({
              sample: started,
              chunks: 0,
              candidate: {
                text: "",
                answer: null,
                completionTokens: 0,
                finishReason: "length",
                logprobs: [],
              },
              values: [],
            });
            started++;
          }
          const halt = roundStop(ctx);
          if (halt) {
            stopReason = halt;
            break;
          }
          const each = shareBudget(ctx, live.length, settings.chunk);
          await settleAll(
            live.map(async (trace) => {
              const seed =
                trace.chunks === 0
                  ? base + trace.sample
                  : (base + trace.sample + trace.chunks * 1_000_003) % 0x7fffffff;
              const [next] = await draw(
                problem,
                ctx,
                { ...settings, logprobs: true },
                {
                  n: 1,
                  ...(trace.candidate.text ? { prefix: trace.candidate.text } : {}),
                  seed,
                  maxTokens: Math.min(each, maxTokens - trace.candidate.completionTokens),
                  topLogprobs: settings.topLogprobs,
                },
              );
              trace.chunks++;
              trace.candidate = extendCandidate(trace.candidate, next!, ctx);
              trace.values.push(...(next!.logprobs ?? []).map((t) => tokenValue(t, settings.token)));
            }),
          );
          for (const trace of [...live]) {
            const c = trace.candidate;
            const low =
              trace.values.length >= settings.window
                ? Math.min(...groupMeans(trace.values, settings.window))
                : Number.POSITIVE_INFINITY;
            const ended = c.finishReason !== "length" || c.completionTokens >= maxTokens;
            if (low < threshold) {
              c.confidence = low;
              log.add(c, "pruned", { phase: "online", sample: trace.sample, stoppedAt: c.completionTokens });
            } else if (ended) {
              c.confidence = confidenceOf(trace.values);
              const votes = c.answer !== null && c.finishReason !== "abort" && c.confidence >= threshold;
              const index = log.add(c, votes ? "candidate" : "pruned", {
                phase: "online",
                sample: trace.sample,
                votes,
              });
              if (votes) voters.push(index);
            } else {
              continue;
            }
            live.splice(live.indexOf(trace), 1);
          }
        }
        if (stopReason === "completed" && decided() && (live.length > 0 || started < settings.n)) {
          stopReason = "early-stop";
        }
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      // Traces still running when generation stopped: their tokens were spent, record them.
      for (const trace of live) {
        if (trace.candidate.completionTokens === 0) continue;
        trace.candidate.confidence = confidenceOf(trace.values);
        log.add(trace.candidate, "pruned", { phase: "online", sample: trace.sample, abandoned: true });
      }
      ctx.trace.update(log.root, {
        meta: {
          strategy: "deepconf",
          threshold,
          traces: log.candidates.length,
          votes: confidenceVotes(
            voters.map((i) => log.candidates[i]!),
            ctx.sameAnswer,
            weightOf,
          ),
        },
      });
      const top = vote();
      if (top) {
        const members = top.members.map((m) => voters[m]!);
        const chosen = members.reduce((a, b) =>
          (log.candidates[b]!.confidence ?? 0) > (log.candidates[a]!.confidence ?? 0) ? b : a,
        );
        return log.outcome(chosen, stopReason, { answer: top.answer, members });
      }
      // Nobody votes: plain majority over the complete traces.
      const complete = log.candidates
        .map((_, i) => i)
        .filter((i) => log.candidates[i]!.finishReason === "stop");
      const plain = majorityVote(
        complete.map((i) => log.candidates[i]!.answer),
        ctx.sameAnswer,
      );
      if (!plain) return log.outcome(-1, stopReason);
      const members = plain.members.map((m) => complete[m]!);
      return log.outcome(members[0]!, stopReason, { answer: plain.answer, members });
    },
  };
}

/** Answer → confidence-weighted votes of the given candidates (weights by `weight`), for the trace. */
function confidenceVotes(
  candidates: readonly Candidate[],
  same: (a: string, b: string) => boolean,
  weight: (c: Candidate) => number = (c) => c.confidence ?? 0,
): Record<string, number> {
  return answerWeights(
    candidates.map((c) => c.answer),
    same,
    candidates.map(weight),
  );
}
