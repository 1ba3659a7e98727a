/**
 * Token and call accounting. All numbers a strategy, a report or the server shows come from these
 * counters, filled in one place: the metering wrappers in `meter.ts`.
 */
export interface Usage {
  /**
   * Prompt tokens consumed, counted once per request as in the OpenAI API (the `n` samples of one
   * request share its prompt). `promptTokens - cachedPromptTokens` is what was actually evaluated.
   */
  promptTokens: number;
  /** Prompt tokens served from a KV cache (a shared prefix) instead of being evaluated again. */
  cachedPromptTokens: number;
  /** Tokens generated (sampled), including those of generations that were aborted. */
  completionTokens: number;
  /** Backend calls (one request, whatever its `n`). */
  calls: number;
  /** Wall-clock milliseconds spent inside backend calls (overlapping calls overlap here too). */
  wallMs: number;
}

/** A zeroed {@link Usage}. */
export function emptyUsage(): Usage {
  return { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, calls: 0, wallMs: 0 };
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  a.promptTokens += b.promptTokens ?? 0;
  a.cachedPromptTokens += b.cachedPromptTokens ?? 0;
  a.completionTokens += b.completionTokens ?? 0;
  a.calls += b.calls ?? 0;
  a.wallMs += b.wallMs ?? 0;
  return a;
}
