import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { answer, tokenize } from "./dialect-server-answer.js";
import { stream } from "./dialect-server-stream.js";

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
 * - A request that sets no `top_k` / `min_p` is sampled with the server's defaults, top-k 40 and
 *   min-p 0.05 (`__verbose.generation_settings`); `top_k: 0` and `min_p: 0` keep every token.
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The whole body of a request, as text. */
export function readBody(req: IncomingMessage): Promise<string> {
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
