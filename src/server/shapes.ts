import type { Completion, FinishReason, TokenLogprob } from "../core/model.js";
import type { StrategyResult } from "../core/strategy.js";
import type { Usage } from "../core/usage.js";

/** The `usage` object of an answer: every underlying token, policy and scorers together. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export function wireUsage(usage: Usage): WireUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens },
  };
}

/** One candidate in the `deliberate.candidates` list (opt-in with `include_candidates`). */
export interface WireCandidate {
  index: number;
  text: string;
  answer: string | null;
  score: number | null;
  step_scores?: number[];
  completion_tokens: number;
  finish_reason: string;
}

/** The `deliberate` extension object of an answer. OpenAI clients ignore it. */
export interface DeliberateExtension {
  /** Canonical spec of the strategy that ran; null for a plain (pass-through) request. */
  strategy: string | null;
  /** The chosen solution's extracted answer. */
  answer?: string | null;
  num_candidates: number;
  /** Index of the chosen candidate, -1 when none was chosen. */
  chosen: number;
  stop_reason: string;
  wall_ms: number;
  /** Tokens and calls, policy and scorers apart (the top-level `usage` is their sum). */
  usage: { policy: Usage; scorer: Usage };
  candidates?: WireCandidate[];
}

export function strategyExtension(result: StrategyResult, includeCandidates: boolean): DeliberateExtension {
  const ext: DeliberateExtension = {
    strategy: result.strategy,
    answer: result.answer,
    num_candidates: result.candidates.length,
    chosen: result.chosen,
    stop_reason: result.stopReason,
    wall_ms: Math.round(result.usage.wallMs),
    usage: { policy: result.usage, scorer: result.scorerUsage },
  };
  if (includeCandidates) {
    ext.candidates = result.candidates.map((c, index) => ({
      index,
      text: c.text,
      answer: c.answer,
      score: c.score ?? null,
      ...(c.stepScores ? { step_scores: c.stepScores } : {}),
      completion_tokens: c.completionTokens,
      finish_reason: c.finishReason,
    }));
  }
  return ext;
}

/** OpenAI's finish reason for a completion (an aborted generation reads as `length`: it was cut). */
export function wireFinish(reason: FinishReason): "stop" | "length" {
  return reason === "stop" ? "stop" : "length";
}

/** The finish reason of a strategy's answer. */
export function strategyFinish(result: StrategyResult): "stop" | "length" {
  const chosen = result.candidates[result.chosen];
  if (chosen) return wireFinish(chosen.finishReason);
  return result.stopReason === "budget" ? "length" : "stop";
}

/** Chat-style logprobs (`choices[].logprobs.content`). */
export function chatLogprobs(tokens: TokenLogprob[] | undefined) {
  if (!tokens) return null;
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: [...Buffer.from(t.token, "utf8")],
      top_logprobs: Object.entries(t.top ?? {}).map(([token, logprob]) => ({
        token,
        logprob,
        bytes: [...Buffer.from(token, "utf8")],
      })),
    })),
  };
}

/** Legacy completions logprobs (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`). */
export function completionLogprobs(tokens: TokenLogprob[] | undefined, promptLength: number) {
  if (!tokens) return null;
  const text_offset: number[] = [];
  let offset = promptLength;
  for (const t of tokens) {
    text_offset.push(offset);
    offset += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => (t.top ? { ...t.top } : null)),
    text_offset,
  };
}

/** Splits text into stream chunks: one per line, long lines in pieces of at most `size` characters. */
export function chunkText(text: string, size = 64): string[] {
  const chunks: string[] = [];
  for (const line of text.match(/[^\n]*\n|[^\n]+/g) ?? []) {
    for (let i = 0; i < line.length; i += size) chunks.push(line.slice(i, i + size));
  }
  return chunks;
}

/** The text of a plain completion's choices, for both endpoints. */
export type PlainChoice = Pick<Completion, "text" | "finishReason" | "logprobs">;
