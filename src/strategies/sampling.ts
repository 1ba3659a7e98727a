import { z } from "zod";
import { AbortedError, BudgetExhaustedError } from "../core/errors.js";
import type { Completion, TokenLogprob } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import type { TraceStatus } from "../core/trace.js";

/** Sampling parameters shared by the parallel strategies' specs. */
export const samplingParams = {
  temperature: z.coerce.number().min(0).max(5).default(0.8).describe("sampling temperature (0 is greedy)"),
  topP: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe("nucleus sampling: draw from the most likely tokens that hold this probability (1 is off)"),
  topK: z.coerce.number().int().min(0).default(0).describe("draw from the k most likely tokens (0 is off)"),
  maxTokens: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("most tokens per solution (default: the run's, 512 unless --max-tokens says otherwise)"),
};

/** Number of samples: at least 1, at most 4096 per run. */
export const samplesParam = (fallback: number, description = "samples drawn") =>
  z.coerce.number().int().min(1).max(4096).default(fallback).describe(description);

/** How a strategy samples: how many, with which sampling parameters, and whether with logprobs. */
export interface SampleSettings {
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens?: number;
  logprobs?: boolean;
}

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

/**
 * The candidates of one run as they arrive: keeps them in order, emits a `candidate` event and adds a
 * trace node for each (children of one root node), and builds the outcome at the end.
 */
export class CandidateLog {
  readonly candidates: Candidate[] = [];
  readonly nodes: number[] = [];
  readonly root: number;

  /**
   * `meta` goes on the root node. `emit: false` records trace nodes without `candidate` events (a
   * pipeline layer re-listing candidates an earlier stage already reported).
   */
  constructor(
    private readonly ctx: StrategyContext,
    meta?: Record<string, unknown>,
    private readonly emit = true,
  ) {
    this.root = ctx.trace.add({
      parent: null,
      text: "",
      tokens: 0,
      status: "expanded",
      ...(meta ? { meta } : {}),
    });
  }

  /** Records a candidate; returns its index. */
  add(candidate: Candidate, status: TraceStatus = "candidate", meta?: Record<string, unknown>): number {
    const index = this.candidates.length;
    this.candidates.push(candidate);
    this.nodes.push(
      this.ctx.trace.add({
        parent: this.root,
        text: candidate.text,
        tokens: candidate.completionTokens,
        status,
        answer: candidate.answer,
        ...nodeScores(candidate),
        ...optional("meta", withConfidence(candidate, meta)),
      }),
    );
    if (this.emit) this.ctx.emit({ type: "candidate", index, candidate });
    return index;
  }

  /** Re-syncs a candidate's trace node after its score, confidence or status changed. */
  update(index: number, status?: TraceStatus, meta?: Record<string, unknown>): void {
    const candidate = this.candidates[index]!;
    const node = this.ctx.trace.nodes[this.nodes[index]!];
    this.ctx.trace.update(this.nodes[index]!, {
      text: candidate.text,
      tokens: candidate.completionTokens,
      answer: candidate.answer,
      ...nodeScores(candidate),
      ...(status ? { status } : {}),
      ...optional("meta", withConfidence(candidate, meta ? { ...node?.meta, ...meta } : node?.meta)),
    });
  }

  /** Reports progress with the policy tokens generated so far. */
  progress(message: string): void {
    this.ctx.emit({ type: "progress", message, completionTokens: this.ctx.meter.usage.completionTokens });
  }

  /**
   * The outcome choosing candidate `chosen` (-1: none). `answer` overrides the chosen candidate's
   * answer (a vote's class answer); `members` are marked selected in the trace besides the chosen.
   */
  outcome(
    chosen: number,
    stopReason: StopReason,
    options: { answer?: string | null; members?: number[] } = {},
  ): StrategyOutcome {
    const candidates = this.candidates;
    if (chosen < 0 || chosen >= candidates.length) {
      return {
        answer: options.answer ?? null,
        output: "",
        candidates,
        chosen: -1,
        stopReason: finalStop(candidates, stopReason),
      };
    }
    for (const m of new Set([chosen, ...(options.members ?? [])])) this.update(m, "selected");
    return {
      answer: options.answer !== undefined ? options.answer : candidates[chosen]!.answer,
      output: candidates[chosen]!.text,
      candidates,
      chosen,
      stopReason: finalStop(candidates, stopReason),
    };
  }
}

/** A completed run whose every sample was cut by the caller's abort is an aborted run. */
function finalStop(candidates: Candidate[], stopReason: StopReason): StopReason {
  return stopReason === "completed" && allAborted(candidates) ? "aborted" : stopReason;
}

function nodeScores(c: Candidate): { score?: number } {
  return c.score !== undefined ? { score: c.score } : {};
}

function withConfidence(c: Candidate, meta?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (c.confidence === undefined) return meta;
  return { ...meta, confidence: c.confidence };
}

/** Scores candidates with the context's scorer and stores value and step scores on them. */
export async function scoreCandidates(
  problem: Problem,
  ctx: StrategyContext,
  candidates: Candidate[],
): Promise<void> {
  if (candidates.length === 0) return;
  const { scores } = await ctx.scorer!.score(
    problem,
    candidates.map((c) => c.text),
    { signal: ctx.signal },
  );
  candidates.forEach((c, i) => {
    const s = scores[i];
    c.score = s ? s.value : Number.NaN;
    if (s?.steps) c.stepScores = s.steps;
  });
}

/** Joins a continuation onto a partial candidate (text, tokens, logprobs, finish reason). */
export function extendCandidate(partial: Candidate, next: Completion, ctx: StrategyContext): Candidate {
  const text = partial.text + next.text;
  const logprobs: TokenLogprob[] | undefined =
    partial.logprobs || next.logprobs ? [...(partial.logprobs ?? []), ...(next.logprobs ?? [])] : undefined;
  const completionTokens = partial.completionTokens + next.completionTokens;
  // A stop string split across two requests is invisible to each: look for it in the joined text.
  const stop = ctx.defaults.stop?.map((s) => ({ s, at: text.indexOf(s) })).find((x) => x.at >= 0);
  const finalText = stop ? text.slice(0, stop.at) : text;
  const candidate: Candidate = {
    text: finalText,
    answer: ctx.extractAnswer(finalText),
    completionTokens,
    finishReason: stop ? "stop" : next.finishReason,
  };
  if (logprobs) candidate.logprobs = logprobs;
  return candidate;
}

/** A completion as a candidate, with its answer extracted. */
export function toCandidate(completion: Completion, ctx: StrategyContext): Candidate {
  const candidate: Candidate = {
    text: completion.text,
    answer: ctx.extractAnswer(completion.text),
    completionTokens: completion.completionTokens,
    finishReason: completion.finishReason,
  };
  if (completion.logprobs) candidate.logprobs = completion.logprobs;
  return candidate;
}

/** Records candidates as children of a root node; returns their node ids. */
export function traceCandidates(ctx: StrategyContext, candidates: Candidate[]): number[] {
  const root = ctx.trace.add({ parent: null, text: "", tokens: 0, status: "expanded" });
  return candidates.map((c) =>
    ctx.trace.add({
      parent: root,
      text: c.text,
      tokens: c.completionTokens,
      status: "candidate",
      answer: c.answer,
      ...(c.score !== undefined ? { score: c.score } : {}),
    }),
  );
}

/** True when every candidate was cut short by the caller's abort signal. */
export function allAborted(candidates: Candidate[]): boolean {
  return candidates.length > 0 && candidates.every((c) => c.finishReason === "abort");
}

/** `{ [key]: value }`, or `{}` when the value is undefined (for exact optional properties). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
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
