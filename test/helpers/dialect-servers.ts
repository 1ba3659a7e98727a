import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import type { Completion, CompletionRequest, TokenLogprob } from "../../src/core/model.js";
import type { ChatMessage, Prompt } from "../../src/core/prompt.js";

/**
 * Loopback HTTP servers that speak the OpenAI API the way real servers do, generating with the
 * embedded model so that answers and usage can be compared with the embedded backend's. The wire
 * facts they reproduce (and the OpenAI-compatible backend reads):
 *
 * llama.cpp's server (llama-server, tools/server in llama.cpp; shared notes/llama-server.md; each
 * point below also checked by hand against llama-server built from the llama.cpp source bundled with
 * node-llama-cpp, serving models/arith-policy.gguf):
 * - `GET /v1/models` lists `owned_by: "llamacpp"`.
 * - `n` is accepted up to the slot count; above it HTTP 400 "Value must be between 1 <= value <= N".
 * - Several choices are separate tasks merged into one answer: `usage` is the first choice's
 *   (`completion_tokens` of one choice only), and so is `__verbose`, sent when the request has
 *   `"verbose": true`: the native result with `stop_type` (`eos` | `word` | `limit`),
 *   `stopping_word` and `tokens_predicted`. No `stop_reason` in choices.
 * - Logprobs come in the chat shape `{content: [{id, token, bytes, logprob, top_logprobs}]}` on both
 *   endpoints; `logprobs: k` on /completions, `logprobs: true` + `top_logprobs` on chat, where a
 *   missing `top_logprobs` means 20 alternatives and 0 means no logprobs at all. Every sampled token
 *   is listed, the end-of-generation token too (empty piece, no bytes); a choice cut at a stop string
 *   loses as many trailing entries as the stop string has tokens (`POST /tokenize`).
 * - `continue_final_message` on chat answers the whole assistant message: prefix + new text.
 * - `usage.prompt_tokens_details.cached_tokens` is the prompt tokens served from the slot's cache.
 * - Streamed (`"stream": true`): one event per token; with `verbose` every event's `__verbose` has
 *   `tokens_predicted` so far and each choice's last one its stop; with `return_progress` an event
 *   with `prompt_progress: {total, cache, processed}` comes before the first token; each choice's
 *   final event (/completions) carries its own usage, and streamed chat deltas start after a
 *   continued prefix.
 *
 * vLLM (OpenAI-compatible server docs and protocol): `owned_by: "vllm"`; each choice has
 * `stop_reason` — the stop string that ended it, or null at the end of text; `usage` covers all
 * choices; `continue_final_message` answers only the new text; legacy logprob shape on /completions.
 *
 * SGLang (OpenAI-compatible API docs): `owned_by: "sglang"`; each choice has `matched_stop` — the
 * stop string that ended it, or the id of the end token; otherwise as vLLM.
 *
 * Plain OpenAI: `owned_by` anything else; no stop information beyond `finish_reason`; `usage` covers
 * all choices; logprobs list every generated token but the end token, those of the stop string too.
 */
export type ServerDialect = "llama.cpp" | "vllm" | "sglang" | "openai";

export interface DialectServer {
  url: string;
  requests: { path: string; body: Record<string, unknown>; streamedPieces?: number }[];
  /** Answer the next `count` completion requests with HTTP 503. */
  failNext(count: number): void;
  /** Drop every completion request's connection from now on (a dead server). */
  die(): void;
  close(): Promise<void>;
}

export interface DialectServerOptions {
  /** llama.cpp: the slot count, the most choices one request may ask. Default 8. */
  slots?: number;
  /** Streams: wait this long between token events (the model generates before streaming). */
  pieceDelayMs?: number;
  modelName?: string;
}

const OWNER: Record<ServerDialect, string> = {
  "llama.cpp": "llamacpp",
  vllm: "vllm",
  sglang: "sglang",
  openai: "openai",
};

/** Starts a server of `dialect` on 127.0.0.1 that generates with `model`. */
export async function startDialectServer(
  dialect: ServerDialect,
  model: LlamaCppModel,
  options: DialectServerOptions = {},
): Promise<DialectServer> {
  const modelName = options.modelName ?? "tiny";
  const slots = options.slots ?? 8;
  const requests: DialectServer["requests"] = [];
  let failures = 0;
  let dead = false;
  const server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? "").replace(/^\/v1/, "");
      const text = await readBody(req);
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (req.method === "GET" && path === "/models") {
        return json(res, 200, {
          object: "list",
          data: [{ id: modelName, object: "model", owned_by: OWNER[dialect] }],
        });
      }
      if (req.method === "POST" && path === "/tokenize" && dialect === "llama.cpp") {
        return json(res, 200, { tokens: tokenize(model, String(body.content ?? "")) });
      }
      if (req.method !== "POST" || (path !== "/completions" && path !== "/chat/completions")) {
        return json(res, 404, { error: { message: "File Not Found", code: 404 } });
      }
      requests.push({ path, body });
      if (dead) {
        req.socket.destroy();
        return;
      }
      if (failures > 0) {
        failures--;
        return json(res, 503, { error: { message: "Loading model", type: "unavailable_error", code: 503 } });
      }
      const n = Number(body.n ?? 1);
      if (dialect === "llama.cpp" && n > slots) {
        return json(res, 400, {
          error: {
            code: 400,
            message: `Value must be between 1 <= value <= ${slots}`,
            type: "invalid_request_error",
          },
        });
      }
      const chat = path === "/chat/completions";
      const { out, pieces } = await answer(dialect, model, modelName, chat, body);
      if (!body.stream) {
        delete out.__verboseByChoice;
        delete out.__usageByChoice;
        return json(res, 200, out);
      }
      const record = requests.at(-1)!;
      record.streamedPieces = 0;
      await stream(res, dialect, chat, out, pieces, body, options.pieceDelayMs ?? 0, () => {
        record.streamedPieces!++;
      });
    } catch (error) {
      json(res, 500, { error: { message: String((error as Error).message), code: 500 } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    failNext(count) {
      failures = count;
    },
    die() {
      dead = true;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Token ids of a text as the model tokenizes it without special tokens. */
function tokenize(model: LlamaCppModel, text: string): number[] {
  const withBos = model.encodePrompt(text);
  const bos = model.encodePrompt("");
  return withBos.slice(bos.length).map(Number);
}

async function answer(
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
    ...(body.top_k ? { topK: Number(body.top_k) } : {}),
    ...(body.min_p ? { minP: Number(body.min_p) } : {}),
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

/**
 * Streams an answer as server-sent events the way the dialect does: one event per token piece, then
 * the finish (llama.cpp: with `__verbose` and, on /completions, the usage; vLLM: with `stop_reason`),
 * then a usage event when `stream_options.include_usage`, then `[DONE]`.
 */
async function stream(
  res: ServerResponse,
  dialect: ServerDialect,
  chat: boolean,
  out: Record<string, unknown>,
  pieces: string[][],
  body: Record<string, unknown>,
  delayMs: number,
  onPiece: () => void,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream" });
  let open = true;
  res.on("close", () => {
    open = false;
  });
  const send = (event: unknown) => {
    if (open) res.write(`data: ${JSON.stringify(event)}\n\n`);
  };
  const base = {
    id: out.id,
    object: chat ? "chat.completion.chunk" : "text_completion",
    created: 0,
    model: out.model,
  };
  const choices = out.choices as Record<string, unknown>[];
  const includeUsage = Boolean(
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage,
  );
  const usage = out.usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
  const llama = dialect === "llama.cpp";
  for (const [index, list] of pieces.entries()) {
    if (chat)
      send({
        ...base,
        choices: [{ index, delta: { role: "assistant", content: null }, finish_reason: null }],
      });
    if (llama && body.return_progress) {
      // llama.cpp: prompt progress before the first token.
      const prompt_progress = {
        total: usage.prompt_tokens,
        cache: usage.prompt_tokens_details.cached_tokens,
      };
      send({ ...base, choices: [{ index, text: "", logprobs: null, finish_reason: null }], prompt_progress });
    }
    for (const [k, piece] of list.entries()) {
      if (!open) return;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (!open) return;
      const extra = dialect === "vllm" ? { stop_reason: null } : {};
      send({
        ...base,
        choices: [
          chat
            ? { index, delta: { content: piece }, logprobs: null, finish_reason: null, ...extra }
            : { index, text: piece, logprobs: null, finish_reason: null, ...extra },
        ],
        // llama.cpp with verbose: every chunk tells the tokens generated so far.
        ...(llama && body.verbose
          ? { __verbose: { tokens_predicted: k + 1, tokens_evaluated: usage.prompt_tokens } }
          : {}),
      });
      onPiece();
    }
    const final = choices[index]!;
    const finish: Record<string, unknown> = { index, finish_reason: final.finish_reason };
    if (chat) finish.delta = {};
    else finish.text = "";
    if (dialect === "vllm") finish.stop_reason = final.stop_reason;
    if (dialect === "sglang") finish.matched_stop = final.matched_stop;
    const last: Record<string, unknown> = { ...base, choices: [finish] };
    if (dialect === "llama.cpp") {
      // Every choice is a task of its own that ends with its own result (and usage).
      const verbose = (out.__verboseByChoice as unknown[] | undefined)?.[index];
      const usage = (out.__usageByChoice as unknown[] | undefined)?.[index] ?? out.usage;
      if (verbose) last.__verbose = verbose;
      if (!chat) last.usage = usage;
      send(last);
      if (chat && includeUsage) send({ ...base, choices: [], usage });
      continue;
    }
    send(last);
  }
  if (includeUsage && dialect !== "llama.cpp") send({ ...base, choices: [], usage: out.usage });
  if (open) res.end("data: [DONE]\n\n");
}

interface Listed {
  token: string;
  logprob: number;
  top: Record<string, number>;
  eog?: boolean;
}

/** The tokens a server lists in the logprobs of one choice (see the wire facts above). */
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}
