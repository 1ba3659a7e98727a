/**
 * What the backend makes of answers beyond reading one answer's choices (./dialect.ts): the usage of a
 * completion request answered in parts, the continuation's tokens of an echo scoring request, and the
 * limit a server states when it refuses too many choices.
 */
import { BackendError } from "../../core/errors.js";
import type { TokenLogprob } from "../../core/model.js";
import { emptyUsage, type Usage } from "../../core/usage.js";
import type { ReadAnswer } from "./dialect.js";
import { parseLogprobs, type WireResponse } from "./wire.js";

/** The usage of one completion request however it was split into `parts`, over `wallMs`. */
export function requestUsage(parts: readonly ReadAnswer[], wallMs: number): Usage {
  // One call per request however it was split. The prompt counts once (OpenAI semantics); what the
  // parts evaluated beyond their cache is what was evaluated.
  const promptTokens = Math.max(0, ...parts.map((p) => p.promptTokens));
  const evaluated = parts.reduce((s, p) => s + (p.promptTokens - p.cachedPromptTokens), 0);
  const usage = emptyUsage();
  usage.calls = 1;
  usage.promptTokens = promptTokens;
  usage.cachedPromptTokens = Math.max(0, promptTokens - evaluated);
  usage.completionTokens = parts.reduce((s, p) => s + p.completionTokens, 0);
  usage.wallMs = wallMs;
  return usage;
}

/**
 * The tokens of the continuation in an echo answer whose prompt was `head` + continuation: those
 * starting at or after the continuation's first character, before the one generated token at the end.
 *
 * @throws BackendError when the server returned no prompt logprobs.
 */
export function continuationTokens(response: WireResponse, headLength: number): TokenLogprob[] {
  const logprobs = response.choices?.[0]?.logprobs;
  const offsets = logprobs?.text_offset;
  const tokens = parseLogprobs(logprobs);
  if (!tokens || !offsets)
    throw new BackendError("the server returned no prompt logprobs for an echo request");
  return tokens.slice(0, -1).filter((_, i) => offsets[i]! >= headLength);
}

/** The usage of one echo scoring request, over `wallMs`. */
export function scoringUsage(response: WireResponse, wallMs: number): Usage {
  const usage = emptyUsage();
  usage.calls = 1;
  usage.promptTokens = response.usage?.prompt_tokens ?? 0;
  usage.cachedPromptTokens = response.usage?.prompt_tokens_details?.cached_tokens ?? 0;
  usage.wallMs = wallMs;
  return usage;
}

/** The server's limit when `error` refuses a request of `sent` choices ("1 <= value <= N"). */
export function refusedChoiceLimit(error: unknown, sent: number): number | undefined {
  if (sent <= 1 || !(error instanceof BackendError) || error.status !== 400) return undefined;
  if (!/\bn\b|value must be/i.test(error.message)) return undefined;
  const limit = Number(/<=\s*value\s*<=\s*(\d+)/.exec(error.message)?.[1]);
  return Number.isFinite(limit) && limit >= 1 && limit < sent ? limit : 1;
}
