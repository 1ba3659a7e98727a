import type { Completion, TokenLogprob } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StopReason, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import type { TraceStatus } from "../core/trace.js";

/**
 * Candidates of a strategy run: completions turned into candidates (answers extracted, continuations
 * joined, scores stored) and the log that records them in the trace and builds the outcome.
 */

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
