import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatMessage } from "../../src/core/prompt.js";
import type { LanguageModel } from "../../src/core/model.js";

/**
 * A small OpenAI-wire server on loopback for testing the OpenAI-compatible backend against real
 * generations of the embedded model. It mimics llama.cpp's server where they differ from OpenAI:
 * a cap on `n` answered with its 400 message, and `usage.completion_tokens` counting one choice.
 */
export interface WireServerOptions {
  model: LanguageModel;
  /** Largest `n` accepted (llama.cpp: the slot count). */
  maxN?: number;
  /** Answer this many first requests with 503, to exercise retries. */
  failFirst?: number;
  apiKey?: string;
}

export interface WireServer {
  url: string;
  requests: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startWireServer(options: WireServerOptions): Promise<WireServer> {
  const requests: WireServer["requests"] = [];
  let failuresLeft = options.failFirst ?? 0;
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    try {
      const body = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
      const path = req.url ?? "";
      requests.push({ path, body });
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(401, { error: { message: "Invalid API Key", type: "authentication_error" } });
      }
      if (failuresLeft > 0) {
        failuresLeft--;
        return send(503, { error: { message: "Loading model", type: "unavailable_error" } });
      }
      const n = Number(body.n ?? 1);
      if (options.maxN !== undefined && n > options.maxN) {
        return send(400, { error: { message: `Value must be between 1 <= value <= ${options.maxN}` } });
      }
      const chat = path.endsWith("/chat/completions");
      if (!chat && !path.endsWith("/completions")) return send(404, { error: { message: "not found" } });
      const prompt = chat ? { messages: body.messages as ChatMessage[] } : String(body.prompt);
      const topLogprobs = chat ? Number(body.top_logprobs ?? 0) : Number(body.logprobs ?? 0);
      const response = await options.model.complete({
        prompt,
        n,
        temperature: Number(body.temperature ?? 1),
        topP: Number(body.top_p ?? 1),
        ...(body.max_tokens !== undefined ? { maxTokens: Number(body.max_tokens) } : {}),
        ...(body.stop ? { stop: body.stop as string[] } : {}),
        ...(body.seed !== undefined ? { seed: Number(body.seed) } : {}),
        logprobs: Boolean(body.logprobs),
        topLogprobs,
      });
      const choices = response.completions.map((c, index) => {
        const logprobs = c.logprobs
          ? {
              content: c.logprobs.map((t) => ({
                token: t.token,
                logprob: t.logprob,
                top_logprobs: Object.entries(t.top ?? {}).map(([token, logprob]) => ({ token, logprob })),
              })),
            }
          : null;
        const finish_reason = c.finishReason === "length" ? "length" : "stop";
        return chat
          ? { index, message: { role: "assistant", content: c.text }, finish_reason, logprobs }
          : { index, text: c.text, finish_reason, logprobs };
      });
      send(200, {
        id: "cmpl-test",
        object: chat ? "chat.completion" : "text_completion",
        model: body.model,
        choices,
        usage: {
          prompt_tokens: response.usage.promptTokens,
          // As llama.cpp's server does for n > 1: only the first choice's tokens.
          completion_tokens: response.completions[0]?.completionTokens ?? 0,
          prompt_tokens_details: { cached_tokens: response.usage.cachedPromptTokens },
        },
      });
    } catch (error) {
      send(500, { error: { message: (error as Error).message } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
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
