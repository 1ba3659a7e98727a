import { BackendError } from "../../core/errors.js";
import type { Completion, FinishReason, TokenLogprob } from "../../core/model.js";
import {
  choiceText,
  isEndOfGenerationEntry,
  parseLogprobs,
  type WireChoice,
  type WireContentEntry,
  type WireResponse,
} from "./wire.js";

/**
 * How a server speaks the OpenAI API where servers differ: how it reports the stop string that ended
 * a choice, what `usage` covers for several choices, how it continues an assistant message and what
 * its logprobs list. Documented in docs/architecture.md ("The OpenAI-compatible backend").
 */
export type Dialect = "llama.cpp" | "vllm" | "sglang" | "openai";

export const DIALECTS: readonly Dialect[] = ["llama.cpp", "vllm", "sglang", "openai"];

/** The dialect of a server from the `owned_by` field of its `GET /models` entries. */
export function dialectFromOwner(ownedBy: string | undefined): Dialect {
  switch (ownedBy?.toLowerCase()) {
    case "llamacpp":
      return "llama.cpp";
    case "vllm":
      return "vllm";
    case "sglang":
      return "sglang";
    default:
      return "openai";
  }
}

/** What one HTTP request asks for, as far as reading its answer depends on it. */
export interface ChoiceContext {
  /** Choices asked in this HTTP request. */
  n: number;
  stops: readonly string[];
  /** The assistant prefix continued on the chat endpoint, if any. */
  chatPrefix?: string;
  /** The caller asked for logprobs; `top` alternatives are kept only when it asked for them. */
  keepLogprobs: boolean;
  keepTop: boolean;
  /** llama.cpp: tokens of each stop string as the server tokenizes it (`POST /tokenize`). */
  stopTokenCounts?: ReadonlyMap<string, number>;
  /** The answer was streamed: the text events seen per choice (the tokens, when usage is missing). */
  streamedPieces?: readonly number[];
}

/**
 * Whether a request needs per-token logprobs for deliberate's own accounting: to count each choice's
 * tokens when `usage` does not (several choices), and to see where a choice stopped when the server
 * does not say (llama.cpp's server with several choices; plain OpenAI servers, whose logprobs list
 * the tokens that formed the stop string).
 */
export function needsTokenLogprobs(dialect: Dialect, n: number, stops: readonly string[]): boolean {
  if (n > 1) return true;
  return stops.length > 0 && (dialect === "openai" || dialect === "llama.cpp");
}

/**
 * The logprob fields of a request body. llama.cpp's server answers `logprobs: true` without
 * `top_logprobs` with 20 alternatives per token (and 0 turns logprobs off), so it is always sent
 * explicitly: the caller's count, or the least each server allows.
 */
export function logprobFields(dialect: Dialect, chat: boolean, top: number): Record<string, unknown> {
  const least = dialect === "llama.cpp" ? 1 : 0;
  const k = Math.max(least, top);
  return chat ? { logprobs: true, top_logprobs: k } : { logprobs: k };
}

/** Extra request fields a dialect needs. */
export function dialectFields(dialect: Dialect): Record<string, unknown> {
  // llama.cpp's server reports how the first choice stopped (stop_type, stopping_word) and its exact
  // token count under `__verbose` when asked per request.
  return dialect === "llama.cpp" ? { verbose: true } : {};
}

/** Completions and token counts read from one answer. */
export interface ReadAnswer {
  completions: Completion[];
  promptTokens: number;
  cachedPromptTokens: number;
  completionTokens: number;
}

/** Reads one HTTP answer of `ctx.n` choices in the server's dialect. */
export function readAnswer(dialect: Dialect, response: WireResponse, ctx: ChoiceContext): ReadAnswer {
  const choices = [...(response.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  if (choices.length !== ctx.n) throw new BackendError(`asked for ${ctx.n} choices, got ${choices.length}`);
  const usage = response.usage ?? {};
  const read = choices.map((choice, i) => readChoice(dialect, choice, i, response, ctx));
  let completionTokens: number;
  if (dialect === "llama.cpp") {
    // usage.completion_tokens covers the first choice only when n > 1; each choice is counted apart.
    completionTokens = read.reduce((s, c) => s + c.completionTokens, 0);
  } else {
    completionTokens = distributeTotal(read, usage.completion_tokens);
  }
  return {
    completions: read,
    promptTokens: usage.prompt_tokens ?? 0,
    cachedPromptTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    completionTokens,
  };
}

function readChoice(
  dialect: Dialect,
  choice: WireChoice,
  index: number,
  response: WireResponse,
  ctx: ChoiceContext,
): Completion {
  let text = choiceText(choice);
  if (text === null) throw new BackendError("the server's choice has no text");
  const finishReason: FinishReason =
    choice.finish_reason === "length" ? "length" : choice.finish_reason === "abort" ? "abort" : "stop";
  const entries = choice.logprobs?.content ?? undefined;
  const logprobs = parseLogprobs(choice.logprobs);
  const streamed = ctx.streamedPieces !== undefined;
  let stopSequence: string | undefined;
  let tokens = logprobs?.length ?? ctx.streamedPieces?.[index] ?? 0;
  const single = ctx.n === 1 ? response.usage?.completion_tokens : undefined;
  switch (dialect) {
    case "llama.cpp": {
      // A continued assistant message comes back whole: prefix + new text (streamed deltas start
      // after the prefix).
      if (!streamed && ctx.chatPrefix && text.startsWith(ctx.chatPrefix))
        text = text.slice(ctx.chatPrefix.length);
      // Streamed: each choice's own; otherwise the first choice's only.
      const verbose = streamed
        ? response.verboseByChoice?.[index]
        : index === 0
          ? response.__verbose
          : undefined;
      const endEntry = isEndOfGenerationEntry(entries?.at(-1));
      if (finishReason === "stop") {
        if (verbose?.stop_type === "word") stopSequence = verbose.stopping_word;
        else if (verbose?.stop_type === "eos" || endEntry) stopSequence = undefined;
        else if (streamed) stopSequence = undefined;
        else if (ctx.stops.length === 1) stopSequence = ctx.stops[0];
        else if (ctx.stops.length > 1)
          throw new BackendError(
            "llama.cpp's server did not say which stop string ended a choice (no __verbose)",
          );
      }
      // The server drops the stop string's tokens from the logprobs; the end token stays in them.
      if (stopSequence !== undefined) tokens += ctx.stopTokenCounts?.get(stopSequence) ?? 0;
      const exact = single ?? verbose?.tokens_predicted;
      if (exact !== undefined) tokens = exact;
      break;
    }
    case "vllm":
      if (typeof choice.stop_reason === "string" && ctx.stops.includes(choice.stop_reason))
        stopSequence = choice.stop_reason;
      if (single !== undefined) tokens = single;
      break;
    case "sglang":
      if (typeof choice.matched_stop === "string" && ctx.stops.includes(choice.matched_stop))
        stopSequence = choice.matched_stop;
      if (single !== undefined) tokens = single;
      break;
    case "openai":
      if (finishReason === "stop" && logprobs) stopSequence = stopFromOvershoot(text, logprobs, ctx.stops);
      if (single !== undefined) tokens = single;
      break;
  }
  const completion: Completion = { text, finishReason, completionTokens: tokens };
  if (stopSequence !== undefined) completion.stopSequence = stopSequence;
  if (ctx.keepLogprobs && logprobs) completion.logprobs = keptLogprobs(logprobs, text, ctx.keepTop);
  return completion;
}

/**
 * The stop string that ended a choice, read from the text itself: servers that list every generated
 * token in the logprobs (vLLM, plain OpenAI-compatible ones) list the tokens that formed the stop
 * string too, so the tokens' text runs past the returned text and the excess starts with the stop.
 */
export function stopFromOvershoot(
  text: string,
  logprobs: readonly TokenLogprob[],
  stops: readonly string[],
): string | undefined {
  if (stops.length === 0) return undefined;
  const generated = logprobs.map((t) => t.token).join("");
  if (generated.length <= text.length || !generated.startsWith(text)) return undefined;
  const excess = generated.slice(text.length);
  // The earliest-listed stop that the excess starts with; a longer one wins a tie in position.
  const matches = stops.filter((s) => s.length > 0 && excess.startsWith(s));
  return matches.sort((a, b) => b.length - a.length)[0];
}

/**
 * Per-choice counts for servers whose `usage.completion_tokens` is the exact total over choices
 * (vLLM, SGLang, OpenAI): each choice's listed tokens, plus what the list left out — an end token
 * for each choice that ended the text, then one at a time in order — so the sum is the server's.
 */
function distributeTotal(completions: Completion[], total: number | undefined): number {
  const listed = completions.reduce((s, c) => s + c.completionTokens, 0);
  if (total === undefined) return listed;
  let missing = total - listed;
  if (completions.length > 1 && missing > 0) {
    for (const c of completions) {
      if (missing === 0) break;
      if (c.finishReason === "stop" && c.stopSequence === undefined) {
        c.completionTokens++;
        missing--;
      }
    }
    for (let i = 0; missing > 0; i = (i + 1) % completions.length, missing--)
      completions[i]!.completionTokens++;
  }
  return total;
}

/** The logprobs handed to the caller: the returned text's tokens, alternatives only when asked. */
function keptLogprobs(logprobs: TokenLogprob[], text: string, keepTop: boolean): TokenLogprob[] {
  const out: TokenLogprob[] = [];
  let length = 0;
  for (const entry of logprobs) {
    if (length >= text.length) break;
    length += entry.token.length;
    out.push(keepTop ? entry : { token: entry.token, logprob: entry.logprob });
  }
  return out;
}

export type { WireContentEntry };
