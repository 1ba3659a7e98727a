/**
 * The JSON bodies the backend sends: a completion request in a server's dialect (chat messages with a
 * continued assistant message, or a raw prompt; the logprob fields the dialect needs; the stream
 * fields when streamed), and the echo request that scores a continuation.
 */
import { CapabilityError } from "../../core/errors.js";
import type { CompletionRequest, ScoreRequest } from "../../core/model.js";
import type { ChatMessage, Prompt } from "../../core/prompt.js";
import { type Dialect, dialectFields, logprobFields, needsTokenLogprobs } from "./dialect.js";

/** The body of a completion request of `n` choices from `seed`, on `/chat/completions` when `chat`. */
export function completionBody(
  model: string,
  request: CompletionRequest,
  chat: boolean,
  n: number,
  seed: number,
  dialect: Dialect,
): Record<string, unknown> {
  const stops = request.stop ?? [];
  const body: Record<string, unknown> = {
    model,
    n,
    seed,
    temperature: request.temperature ?? 1,
    top_p: request.topP ?? 1,
    ...truncationFields(request, dialect),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(stops.length ? { stop: stops } : {}),
    ...dialectFields(dialect),
  };
  if (request.logprobs || needsTokenLogprobs(dialect, n, stops)) {
    Object.assign(body, logprobFields(dialect, chat, request.logprobs ? (request.topLogprobs ?? 0) : 0));
  }
  if (chat) {
    const messages: ChatMessage[] =
      typeof request.prompt === "string"
        ? [{ role: "user", content: request.prompt }]
        : [...request.prompt.messages];
    if (request.prefix) {
      if (dialect === "openai") {
        throw new CapabilityError("continuing an assistant message needs continue_final_message", {
          hint: "llama.cpp's server, vLLM and SGLang support it; or send a raw text prompt",
        });
      }
      messages.push({ role: "assistant", content: request.prefix });
      body.continue_final_message = true;
      body.add_generation_prompt = false;
    }
    body.messages = messages;
  } else {
    body.prompt = (request.prompt as string) + (request.prefix ?? "");
  }
  return body;
}

/**
 * The fields that make a request a stream with usage at its end. On llama.cpp's server, prompt
 * progress events tell the prompt's tokens of a stream cut off before its usage (every chunk's
 * `__verbose` tells the tokens generated so far).
 */
export function streamFields(dialect: Dialect): Record<string, unknown> {
  const progress = dialect === "llama.cpp" ? { return_progress: true } : {};
  return { ...progress, stream: true, stream_options: { include_usage: true } };
}

/**
 * Whether a request is streamed: when the caller passes text on (`onText`), and for a single sample
 * that may be aborted, so that the tokens generated before the abort are counted (servers report
 * usage only at the end). Plain OpenAI streams say nothing of stops, so those are not streamed
 * for counting alone.
 */
export function isStreamed(request: CompletionRequest, n: number, dialect: Dialect): boolean {
  // Streamed chunks carry no logprobs here: a request that wants them is not streamed.
  if (request.logprobs) return false;
  if (request.onText) return true;
  return n === 1 && request.signal !== undefined && dialect !== "openai";
}

/**
 * The body that scores `head + continuation`: the whole text echoed back with its prompt logprobs
 * (`/completions`, one generated token), with enough alternatives for the requested top and
 * always-reported tokens.
 */
export function scoreBody(model: string, head: string, request: ScoreRequest): Record<string, unknown> {
  return {
    model,
    prompt: head + request.continuation,
    max_tokens: 1,
    echo: true,
    logprobs: Math.max(1, request.topLogprobs ?? 0, request.includeTokens?.length ? 20 : 0),
    temperature: 0,
  };
}

/** The affinity key of a request: its prompt, so samples and search nodes of one prompt stay together. */
export function affinityKey(prompt: Prompt): string {
  return typeof prompt === "string" ? prompt : JSON.stringify(prompt.messages);
}

/**
 * `top_k` and `min_p`: extensions of llama.cpp's server, vLLM and SGLang. llama.cpp's server applies
 * its own defaults when a request leaves them out (top-k 40, min-p 0.05), so a request for the whole
 * distribution would be truncated there: it always gets both, 0 meaning "keep all". Other servers
 * keep the whole distribution by default and get them only when they truncate, so a plain OpenAI
 * server never sees them unasked.
 */
function truncationFields(request: CompletionRequest, dialect: Dialect): Record<string, number> {
  if (dialect === "llama.cpp") return { top_k: request.topK ?? 0, min_p: request.minP ?? 0 };
  return {
    ...(request.topK ? { top_k: request.topK } : {}),
    ...(request.minP ? { min_p: request.minP } : {}),
  };
}
