import { BackendError } from "../../core/errors.js";
import type { Completion, FinishReason, TokenLogprob } from "../../core/model.js";

/** The parts of an OpenAI-style choice that deliberate reads (completions and chat endpoints). */
export interface WireChoice {
  index?: number;
  text?: string;
  message?: { content?: string | null };
  finish_reason?: string | null;
  /** vLLM reports the stop string that ended the choice here. */
  stop_reason?: string | number | null;
  logprobs?: WireLogprobs | null;
}

interface WireTopEntry {
  token: string;
  logprob: number;
}

/** Either the chat/llama.cpp shape (`content`) or the legacy completions shape (`tokens`, …). */
export interface WireLogprobs {
  content?: { token: string; logprob: number; top_logprobs?: WireTopEntry[] }[] | null;
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset?: number[];
}

export interface WireResponse {
  choices?: WireChoice[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  };
}

/** Per-token logprobs from either wire shape. */
export function parseLogprobs(logprobs: WireLogprobs | null | undefined): TokenLogprob[] | undefined {
  if (!logprobs) return undefined;
  if (logprobs.content) {
    return logprobs.content.map((entry) => {
      const out: TokenLogprob = { token: entry.token, logprob: entry.logprob };
      if (entry.top_logprobs?.length) {
        out.top = Object.fromEntries(entry.top_logprobs.map((t) => [t.token, t.logprob]));
      }
      return out;
    });
  }
  if (logprobs.tokens) {
    return logprobs.tokens.map((token, i) => {
      const out: TokenLogprob = { token, logprob: logprobs.token_logprobs?.[i] ?? Number.NaN };
      const top = logprobs.top_logprobs?.[i];
      if (top) out.top = { ...top };
      return out;
    });
  }
  return undefined;
}

/** One wire choice as a {@link Completion}; `countedTokens` comes from the caller's accounting. */
export function parseChoice(choice: WireChoice, stops: readonly string[], countedTokens: number): Completion {
  const text = choice.text ?? choice.message?.content ?? null;
  if (typeof text !== "string") throw new BackendError("the server's choice has no text");
  const finishReason: FinishReason = choice.finish_reason === "length" ? "length" : "stop";
  const completion: Completion = { text, finishReason, completionTokens: countedTokens };
  if (typeof choice.stop_reason === "string" && stops.includes(choice.stop_reason)) {
    completion.stopSequence = choice.stop_reason;
  }
  return completion;
}
