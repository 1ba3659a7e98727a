/**
 * The JSON answer of a dialect server to one completion request, generated with the embedded model
 * and shaped the way the dialect shapes it (the wire facts are listed in dialect-servers.ts).
 */
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import type { Completion, CompletionRequest, TokenLogprob } from "../../src/core/model.js";
import type { ChatMessage, Prompt } from "../../src/core/prompt.js";
import type { ServerDialect } from "./dialect-servers.js";

/** Token ids of a text as the model tokenizes it without special tokens. */
export function tokenize(model: LlamaCppModel, text: string): number[] {
  const withBos = model.encodePrompt(text);
  const bos = model.encodePrompt("");
  return withBos.slice(bos.length).map(Number);
}

/**
 * Generates the answer to a /completions or /chat/completions request. `out` is the response body,
 * with two extra fields for llama.cpp that only a stream sends (`__verboseByChoice`,
 * `__usageByChoice`: each choice's native result and usage); `pieces` is each choice's new text as
 * the token pieces a stream sends.
 */
export async function answer(
  dialect: ServerDialect,
  model: LlamaCppModel,
  modelName: string,
  chat: boolean,
  body: Record<string, unknown>,
): Promise<{ out: Record<string, unknown>; pieces: string[][] }> {
  const n = Number(body.n ?? 1);
  let prompt: Prompt;
  let prefix: string | undefined;
  if (chat) {
    const messages = [...(body.messages as ChatMessage[])];
    if (body.continue_final_message && messages.at(-1)?.role === "assistant") {
      prefix = messages.pop()!.content;
    }
    prompt = { messages };
  } else {
    prompt = String(body.prompt);
  }
  // How many alternatives the request asks for (0: no logprobs).
  let top: number;
  if (chat) top = body.logprobs ? Number(body.top_logprobs ?? (dialect === "llama.cpp" ? 20 : 0)) : -1;
  else top = typeof body.logprobs === "number" ? body.logprobs : -1;
  if (dialect === "llama.cpp" && top === 0) top = -1;
  const request: CompletionRequest = {
    prompt,
    ...(prefix !== undefined ? { prefix } : {}),
    n,
    temperature: Number(body.temperature ?? 1),
    topP: Number(body.top_p ?? 1),
    ...truncation(dialect, body),
    ...(body.max_tokens !== undefined ? { maxTokens: Number(body.max_tokens) } : {}),
    ...(Array.isArray(body.stop) ? { stop: body.stop as string[] } : {}),
    ...(body.seed !== undefined ? { seed: Number(body.seed) } : {}),
    logprobs: true,
    topLogprobs: Math.max(0, top),
  };
  const { completions, usage } = await model.complete(request);
  const choices = completions.map((c, index) => {
    const finish = c.finishReason === "length" ? "length" : "stop";
    const entries = top >= 0 ? listedTokens(dialect, model, c) : undefined;
    const choice: Record<string, unknown> = { index, finish_reason: finish };
    if (chat) {
      const content = dialect === "llama.cpp" && prefix !== undefined ? prefix + c.text : c.text;
      choice.message = { role: "assistant", content };
    } else {
      choice.text = c.text;
    }
    if (dialect === "vllm") choice.stop_reason = c.stopSequence ?? null;
    if (dialect === "sglang") choice.matched_stop = c.stopSequence ?? (finish === "stop" ? 2 : null);
    choice.logprobs = entries ? logprobShape(dialect, chat, entries, top) : null;
    return choice;
  });
  const perChoice = completions.map((c) => c.completionTokens);
  const completionTokens = dialect === "llama.cpp" ? perChoice[0]! : perChoice.reduce((s, t) => s + t, 0);
  const out: Record<string, unknown> = {
    id: "cmpl-1",
    object: chat ? "chat.completion" : "text_completion",
    created: 0,
    model: modelName,
    choices,
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: completionTokens,
      total_tokens: usage.promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens },
    },
  };
  if (dialect === "llama.cpp") {
    out.system_fingerprint = "b0000-loopback";
    out.timings = { predicted_n: perChoice[0] };
    if (body.verbose) {
      // Each choice is a task with its own native result; a non-streamed answer keeps the first's.
      const verbose = completions.map((c) => ({
        stop_type: c.finishReason === "length" ? "limit" : c.stopSequence !== undefined ? "word" : "eos",
        stopping_word: c.stopSequence ?? "",
        tokens_predicted: c.completionTokens,
      }));
      out.__verbose = verbose[0];
      out.__verboseByChoice = verbose;
    }
    out.__usageByChoice = completions.map((c) => ({
      ...(out.usage as object),
      completion_tokens: c.completionTokens,
      total_tokens: usage.promptTokens + c.completionTokens,
    }));
  }
  // The text of each choice as the token pieces a stream sends (the new text only).
  const pieces = completions.map((c) => {
    const list: string[] = [];
    let length = 0;
    for (const t of c.logprobs ?? []) {
      if (length >= c.text.length) break;
      const piece = c.text.slice(length, length + t.token.length);
      length += piece.length;
      if (piece) list.push(piece);
    }
    if (length < c.text.length) list.push(c.text.slice(length));
    return list;
  });
  return { out, pieces };
}

interface Listed {
  token: string;
  logprob: number;
  top: Record<string, number>;
  eog?: boolean;
}

/** The tokens a server lists in the logprobs of one choice (see the wire facts in dialect-servers.ts). */
function listedTokens(dialect: ServerDialect, model: LlamaCppModel, c: Completion): Listed[] {
  const generated: Listed[] = (c.logprobs ?? []).map((t: TokenLogprob) => ({
    token: t.token,
    logprob: t.logprob,
    top: t.top ?? {},
  }));
  const endedText = c.finishReason === "stop" && c.stopSequence === undefined;
  if (dialect !== "llama.cpp") return generated;
  if (endedText) generated.push({ token: "", logprob: -0.01, top: {}, eog: true });
  if (c.stopSequence !== undefined) {
    const drop = Math.min(generated.length, tokenize(model, c.stopSequence).length);
    generated.splice(generated.length - drop, drop);
  }
  return generated;
}

function logprobShape(dialect: ServerDialect, chat: boolean, entries: Listed[], top: number): unknown {
  const topList = (e: Listed) =>
    Object.entries(e.top)
      .slice(0, top)
      .map(([token, logprob]) => ({
        token,
        logprob,
        ...(dialect === "llama.cpp" ? { bytes: bytes(token) } : {}),
      }));
  if (chat || dialect === "llama.cpp") {
    return {
      content: entries.map((e) => ({
        ...(dialect === "llama.cpp" ? { id: e.eog ? 2 : 100 } : {}),
        token: e.token,
        logprob: e.logprob,
        bytes: e.eog ? [] : bytes(e.token),
        top_logprobs: topList(e),
      })),
    };
  }
  let offset = 0;
  const text_offset = entries.map((e) => {
    const at = offset;
    offset += e.token.length;
    return at;
  });
  return {
    tokens: entries.map((e) => e.token),
    token_logprobs: entries.map((e) => e.logprob),
    top_logprobs: entries.map((e) => Object.fromEntries(Object.entries(e.top).slice(0, top))),
    text_offset,
  };
}

function bytes(text: string): number[] {
  return [...Buffer.from(text, "utf8")];
}

/**
 * The truncation a server applies: what the request asks, else its defaults. llama.cpp's server
 * keeps the 40 likeliest tokens and those at least 0.05 × the likeliest when a request sets neither
 * (its `generation_settings`); the others keep the whole distribution.
 */
function truncation(dialect: string, body: Record<string, unknown>): { topK?: number; minP?: number } {
  const defaults = dialect === "llama.cpp" ? { top_k: 40, min_p: 0.05 } : { top_k: 0, min_p: 0 };
  const topK = Number(body.top_k ?? defaults.top_k);
  const minP = Number(body.min_p ?? defaults.min_p);
  return { ...(topK > 0 ? { topK } : {}), ...(minP > 0 ? { minP } : {}) };
}
