import { AbortedError, BudgetExhaustedError } from "../core/errors.js";
import type { Completion } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, StrategyContext } from "../core/strategy.js";
import { type CandidateLog, toCandidate } from "./candidates.js";
import type { SampleSettings } from "./params.js";

/**
 * Generation requests of the sampling strategies: one batched request of whole solutions, rounds of
 * them until a stopping rule says enough, and the budget and abort checks between rounds.
 */

/**
 * Draws `n` whole solutions in one batched request and turns them into candidates, emitting a
 * `candidate` event for each unless `emit` is false (callers that record them in a
 * {@link CandidateLog}, which emits, pass false).
 */
export async function sampleCandidates(
  problem: Problem,
  ctx: StrategyContext,
  settings: SampleSettings,
  emit = true,
): Promise<Candidate[]> {
  const completions = await draw(problem, ctx, settings, { n: settings.n, seed: ctx.rng.seed() });
  return completions.map((completion, index) => {
    const candidate = toCandidate(completion, ctx);
    if (emit) ctx.emit({ type: "candidate", index, candidate });
    return candidate;
  });
}

/** Per-request options of {@link draw}, on top of a strategy's {@link SampleSettings}. */
export interface DrawOptions {
  n: number;
  /** Seed of the request: sample `i` uses `seed + i`. */
  seed: number;
  /** Continue this assistant-side text instead of starting a solution. */
  prefix?: string;
  /** Overrides the settings' (and the defaults') token limit for this request. */
  maxTokens?: number;
  /** With logprobs, also return this many alternatives per token. */
  topLogprobs?: number;
  /** Overrides the context's abort signal (e.g. a per-sample signal that also follows it). */
  signal?: AbortSignal;
}

/**
 * One generation request with a strategy's sampling settings: the building block of every parallel
 * strategy. Multi-round strategies keep one base seed per run and ask round `r` with
 * `seed = base + offset`, so sample `i` of a run always has seed `base + i` whatever the rounds: an
 * adaptive run's samples are a prefix of the one-shot run's samples under the same run seed.
 */
export async function draw(
  problem: Problem,
  ctx: StrategyContext,
  settings: SampleSettings,
  options: DrawOptions,
): Promise<Completion[]> {
  const response = await ctx.model.complete({
    prompt: problem.prompt,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    n: options.n,
    temperature: settings.temperature,
    topP: settings.topP,
    topK: settings.topK,
    maxTokens: options.maxTokens ?? settings.maxTokens ?? ctx.defaults.maxTokens,
    stop: ctx.defaults.stop,
    seed: options.seed,
    logprobs: settings.logprobs || (options.topLogprobs ?? 0) > 0 || undefined,
    ...(options.topLogprobs ? { topLogprobs: options.topLogprobs } : {}),
    signal: options.signal ?? ctx.signal,
  });
  return response.completions;
}

/**
 * Most tokens each of `count` concurrent requests may generate so that together they stay within
 * the remaining budget (the meter clamps one request at a time and cannot see concurrent ones).
 * Throws {@link BudgetExhaustedError} when not even one token each is left.
 */
export function shareBudget(ctx: StrategyContext, count: number, maxTokens: number): number {
  const each = Math.min(maxTokens, Math.floor(ctx.meter.remainingTokens() / Math.max(1, count)));
  if (each < 1) throw new BudgetExhaustedError(`token budget too small for ${count} more samples`);
  return each;
}

/** Why a multi-round strategy must stop before its next round: a spent budget or an abort. */
export function roundStop(ctx: StrategyContext): StopReason | null {
  if (ctx.signal?.aborted) return "aborted";
  if (ctx.meter.exhausted()) return "budget";
  return null;
}

/** The stop reason for an error that ends a round; rethrows anything else. */
export function stopReasonOf(error: unknown): StopReason {
  if (error instanceof BudgetExhaustedError) return "budget";
  if (error instanceof AbortedError) return "aborted";
  throw error;
}

/** Options of {@link sampleUntil}. */
export interface RoundOptions {
  /** Most samples in all. */
  max: number;
  /** Samples per round (one request each). */
  batch: number;
  /** Called after every round with all candidates so far; true stops sampling. */
  stop: (candidates: readonly Candidate[]) => boolean;
  /** Called on each new candidate before it is recorded (e.g. to set its confidence). */
  annotate?: (candidate: Candidate) => void;
}

/**
 * Samples in rounds into `log` until `stop` says so, `max` samples are drawn, the budget is spent or
 * the run is aborted; returns the stop reason (`early-stop` when `stop` ended it before `max`). Sample
 * `i` has seed `base + i` with one base per run, so the samples are a prefix of what one request of
 * `max` samples would give under the same run seed.
 */
export async function sampleUntil(
  problem: Problem,
  ctx: StrategyContext,
  settings: SampleSettings,
  log: CandidateLog,
  options: RoundOptions,
): Promise<StopReason> {
  const base = ctx.rng.seed();
  let drawn = 0;
  let round = 0;
  while (drawn < options.max) {
    const halt = roundStop(ctx);
    if (halt) return halt;
    const n = Math.min(options.batch, options.max - drawn);
    let completions: Completion[];
    try {
      completions = await draw(problem, ctx, settings, { n, seed: base + drawn });
    } catch (error) {
      return stopReasonOf(error);
    }
    for (const completion of completions) {
      const candidate = toCandidate(completion, ctx);
      options.annotate?.(candidate);
      log.add(candidate, "candidate", { round });
    }
    drawn += n;
    round++;
    if (completions.every((c) => c.finishReason === "abort")) return "aborted";
    log.progress(`round ${round}: ${drawn} samples`);
    if (options.stop(log.candidates)) return drawn < options.max ? "early-stop" : "completed";
  }
  return "completed";
}

/**
 * Waits for every promise, then throws the first rejection, if any: concurrent requests of one round
 * all end before a strategy moves on, so none of them updates its state afterwards.
 */
export async function settleAll<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
