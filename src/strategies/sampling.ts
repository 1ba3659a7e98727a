import { z } from "zod";
import type { Completion } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import type { Candidate, StrategyContext } from "../core/strategy.js";

/** Sampling parameters shared by the parallel strategies' specs. */
export const samplingParams = {
  temperature: z.coerce.number().min(0).max(5).default(0.8),
  topP: z.coerce.number().gt(0).max(1).default(1),
  topK: z.coerce.number().int().min(0).default(0),
  maxTokens: z.coerce.number().int().min(1).max(1_000_000).optional(),
};

/** Number of samples: at least 1, at most 4096 per run. */
export const samplesParam = (fallback: number) => z.coerce.number().int().min(1).max(4096).default(fallback);

export interface SampleSettings {
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens?: number;
  logprobs?: boolean;
}

/** Draws `n` whole solutions in one batched request and turns them into candidates. */
export async function sampleCandidates(
  problem: Problem,
  ctx: StrategyContext,
  settings: SampleSettings,
): Promise<Candidate[]> {
  const response = await ctx.model.complete({
    prompt: problem.prompt,
    n: settings.n,
    temperature: settings.temperature,
    topP: settings.topP,
    topK: settings.topK,
    maxTokens: settings.maxTokens ?? ctx.defaults.maxTokens,
    stop: ctx.defaults.stop,
    seed: ctx.rng.seed(),
    logprobs: settings.logprobs,
    signal: ctx.signal,
  });
  return response.completions.map((completion, index) => {
    const candidate = toCandidate(completion, ctx);
    ctx.emit({ type: "candidate", index, candidate });
    return candidate;
  });
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
