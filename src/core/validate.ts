import { ConfigError } from "./errors.js";
import type { CompletionRequest } from "./model.js";
import type { Prompt } from "./prompt.js";

/** Most samples one request may ask for; larger fan-outs are a strategy's job, in rounds. */
export const MAX_SAMPLES_PER_REQUEST = 4096;

/**
 * Checks that a prompt asks something: a text prompt with only whitespace, a chat prompt without
 * messages or a message whose content is only whitespace is a {@link ConfigError}. A model answers
 * an empty prompt with whatever it would write unprompted, which looks like an answer and is not one.
 */
export function validatePrompt(prompt: Prompt): void {
  if (typeof prompt === "string") {
    if (prompt.trim() === "") throw new ConfigError("the prompt is empty (it has only whitespace)");
    return;
  }
  if (prompt.messages.length === 0) throw new ConfigError("the prompt has no messages");
  prompt.messages.forEach((m, i) => {
    if (typeof m.content !== "string" || m.content.trim() === "") {
      throw new ConfigError(`message ${i} (${m.role}) has empty content`);
    }
  });
}

/**
 * Checks a completion request's prompt and parameters and throws a {@link ConfigError} naming the
 * bad one. Every backend calls this first, so a bad value fails the same way everywhere.
 */
export function validateCompletionRequest(request: CompletionRequest): void {
  validatePrompt(request.prompt);
  const { n, temperature, topP, topK, minP, maxTokens, seed, topLogprobs } = request;
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLES_PER_REQUEST)) {
    throw new ConfigError(`n must be an integer from 1 to ${MAX_SAMPLES_PER_REQUEST}, got ${n}`);
  }
  if (temperature !== undefined && !(temperature >= 0 && Number.isFinite(temperature))) {
    throw new ConfigError(`temperature must be a number ≥ 0, got ${temperature}`);
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new ConfigError(`topP must be in (0, 1], got ${topP}`);
  }
  if (minP !== undefined && !(minP >= 0 && minP < 1)) {
    throw new ConfigError(`minP must be in [0, 1), got ${minP}`);
  }
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 0)) {
    throw new ConfigError(`topK must be an integer ≥ 0 (0 keeps all tokens), got ${topK}`);
  }
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw new ConfigError(`maxTokens must be an integer ≥ 1, got ${maxTokens}`);
  }
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new ConfigError(`seed must be an integer, got ${seed}`);
  }
  if (topLogprobs !== undefined && (!Number.isInteger(topLogprobs) || topLogprobs < 0 || topLogprobs > 100)) {
    throw new ConfigError(`topLogprobs must be an integer from 0 to 100, got ${topLogprobs}`);
  }
  if (request.stop?.some((s) => s.length === 0)) throw new ConfigError("stop strings must not be empty");
}

/** A fresh random seed for requests that do not fix one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
