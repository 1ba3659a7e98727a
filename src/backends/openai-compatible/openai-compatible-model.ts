import { AbortedError, BackendError, CapabilityError, ConfigError } from "../../core/errors.js";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
  ScoreResponse,
} from "../../core/model.js";
import type { ChatMessage, Prompt } from "../../core/prompt.js";
import { emptyUsage } from "../../core/usage.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import {
  type ChoiceContext,
  DIALECTS,
  type Dialect,
  dialectFields,
  dialectFromOwner,
  logprobFields,
  needsTokenLogprobs,
  type ReadAnswer,
  readAnswer,
} from "./dialect.js";
import { type Endpoint, EndpointPool } from "./endpoints.js";
import { backoffDelay, type HttpPolicy, requestJson, requestStream, sleep, TransientError } from "./http.js";
import { ConcurrencyLimiter } from "./limiter.js";
import { parseLogprobs, StreamAssembly, type WireResponse } from "./wire.js";

/** Options of {@link OpenAICompatibleModel}. */
export interface OpenAICompatibleOptions {
  /**
   * Base URL of the API, including `/v1` (e.g. `http://127.0.0.1:8000/v1`), or several: one per server
   * of a fleet serving the same model. Requests are spread with prefix affinity and fail over.
   */
  baseUrl: string | readonly string[];
  /** The server's model name. */
  model: string;
  apiKey?: string;
  /**
   * `auto` (default): chat prompts go to `/chat/completions`, raw text to `/completions`.
   * `chat` sends raw text as one user message.
   */
  endpoint?: "auto" | "chat" | "completions";
  /**
   * How the servers report stops, usage and continuations (docs/architecture.md). Default `auto`:
   * read from `owned_by` of `GET /models` (`llamacpp`, `vllm`, `sglang`; anything else is `openai`).
   */
  dialect?: Dialect | "auto";
  /** Per-request timeout. Default 120 s. */
  timeoutMs?: number;
  /** Retries on 429, 5xx and connection errors, at another endpoint when there is one. Default 3. */
  maxRetries?: number;
  /** First retry delay, doubled each retry. Default 500 ms. */
  backoffMs?: number;
  /** Most requests in flight at once, per endpoint. Default 16. */
  concurrency?: number;
  /** Most choices per request when known; larger `n` is split. Default: learnt from the server. */
  maxChoicesPerRequest?: number;
  /**
   * The server returns prompt logprobs with `echo: true` on `/completions` (vLLM does; llama.cpp's
   * server does not). Enables {@link OpenAICompatibleModel.score}. Default false.
   */
  promptLogprobs?: boolean;
  headers?: Record<string, string>;
}

/**
 * A model behind OpenAI-compatible servers: vLLM, SGLang, llama.cpp's server, hosted APIs. Reads each
 * server's dialect (where a choice stopped, what `usage` covers, how a continued assistant message
 * comes back), asks for `n` choices in one request and splits it when the server refuses that many,
 * counts one call per request, spreads requests over several endpoints with prefix affinity, and
 * retries transient failures elsewhere.
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  readonly capabilities: ModelCapabilities;
  readonly pool: EndpointPool;
  private readonly headers: Record<string, string>;
  private readonly policy: HttpPolicy;
  private readonly limiter: ConcurrencyLimiter;
  private readonly detecting = new Map<Endpoint, Promise<Dialect>>();

  constructor(private readonly options: OpenAICompatibleOptions) {
    const urls = (typeof options.baseUrl === "string" ? [options.baseUrl] : [...options.baseUrl]).map(
      normalizeUrl,
    );
    if (urls.length === 0) throw new ConfigError("an OpenAI-compatible backend needs at least one base URL");
    if (!options.model)
      throw new ConfigError("an OpenAI-compatible backend needs a model name (--model NAME)");
    const dialect = options.dialect ?? "auto";
    if (dialect !== "auto" && !DIALECTS.includes(dialect)) {
      throw new ConfigError(`unknown server dialect "${dialect}"`, {
        hint: `one of auto, ${DIALECTS.join(", ")}`,
      });
    }
    this.id = options.model;
    this.headers = { ...options.headers };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
    this.policy = {
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 3,
      backoffMs: options.backoffMs ?? 500,
    };
    const concurrency = options.concurrency ?? 16;
    this.limiter = new ConcurrencyLimiter(concurrency * urls.length);
    this.pool = new EndpointPool(
      urls,
      dialect === "auto" ? undefined : dialect,
      options.maxChoicesPerRequest ?? Number.POSITIVE_INFINITY,
    );
    this.capabilities = {
      logprobs: true,
      promptLogprobs: options.promptLogprobs ?? false,
      maxParallel: concurrency * urls.length,
      chat: true,
    };
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    validateCompletionRequest(request);
    const started = performance.now();
    const n = request.n ?? 1;
    const seed = request.seed ?? randomSeed();
    const parts = await this.requestChoices(request, n, seed, affinityKey(request.prompt));
    const completions = parts.flatMap((p) => p.completions);
    // One call per request however it was split. The prompt counts once (OpenAI semantics); what the
    // parts evaluated beyond their cache is what was evaluated.
    const promptTokens = Math.max(0, ...parts.map((p) => p.promptTokens));
    const evaluated = parts.reduce((s, p) => s + (p.promptTokens - p.cachedPromptTokens), 0);
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = promptTokens;
    usage.cachedPromptTokens = Math.max(0, promptTokens - evaluated);
    usage.completionTokens = parts.reduce((s, p) => s + p.completionTokens, 0);
    usage.wallMs = performance.now() - started;
    return { completions, usage };
  }

  async score(request: ScoreRequest): Promise<ScoreResponse> {
    if (!this.capabilities.promptLogprobs) {
      throw new CapabilityError("the server is not declared to return prompt logprobs", {
        hint: "use a server that supports echo with logprobs (vLLM) and set promptLogprobs: true",
      });
    }
    if (typeof request.prompt !== "string") {
      throw new ConfigError("scoring needs a raw text prompt on an OpenAI-compatible server");
    }
    const head = request.prompt + (request.prefix ?? "");
    const body = {
      model: this.options.model,
      prompt: head + request.continuation,
      max_tokens: 1,
      echo: true,
      logprobs: Math.max(1, request.topLogprobs ?? 0, request.includeTokens?.length ? 20 : 0),
      temperature: 0,
    };
    const started = performance.now();
    const { response } = await this.send(request.prompt, "/completions", () => body, request.signal);
    const logprobs = response.choices?.[0]?.logprobs;
    const offsets = logprobs?.text_offset;
    const tokens = parseLogprobs(logprobs);
    if (!tokens || !offsets)
      throw new BackendError("the server returned no prompt logprobs for an echo request");
    // Keep the continuation's tokens: those starting at or after its first character, before the
    // one generated token at the end.
    const scored = tokens.slice(0, -1).filter((_, i) => offsets[i]! >= head.length);
    const usage = emptyUsage();
    usage.calls = 1;
    usage.promptTokens = response.usage?.prompt_tokens ?? 0;
    usage.cachedPromptTokens = response.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    usage.wallMs = performance.now() - started;
    return { tokens: scored, usage };
  }

  async close(): Promise<void> {}

  /**
   * Asks for `n` choices, split into requests each endpoint accepts; one {@link ReadAnswer} per
   * request. `first` is the index of the first of them among the request's samples.
   */
  private async requestChoices(
    request: CompletionRequest,
    n: number,
    seed: number,
    key: string,
    first = 0,
  ): Promise<ReadAnswer[]> {
    const chat = typeof request.prompt !== "string" || this.options.endpoint === "chat";
    const stops = request.stop ?? [];
    const path = chat ? "/chat/completions" : "/completions";
    const cap = await this.choiceCap(key, stops, request.signal);
    if (n > cap) {
      const parts: Promise<ReadAnswer[]>[] = [];
      for (let part = 0; part < n; part += cap) {
        parts.push(this.requestChoices(request, Math.min(cap, n - part), seed + part, key, first + part));
      }
      return (await Promise.all(parts)).flat();
    }
    try {
      let pieces: number[] | undefined;
      const { response, endpoint } = await this.send(
        key,
        path,
        (endpoint) => {
          const dialect = endpoint.dialect ?? "openai";
          const body = this.body(request, chat, n, seed, dialect);
          if (!this.streams(request, n, dialect)) return body;
          // llama.cpp's server: prompt progress events tell the prompt's tokens of a stream cut off
          // before its usage (every chunk's __verbose tells the tokens generated so far).
          const progress = dialect === "llama.cpp" ? { return_progress: true } : {};
          return { ...body, ...progress, stream: true, stream_options: { include_usage: true } };
        },
        request.signal,
        async (endpoint) => {
          if (endpoint.dialect === "llama.cpp" && stops.length === 1 && n > 1)
            await this.stopTokenCount(endpoint, stops[0]!, request.signal);
        },
        (endpoint) =>
          this.streams(request, n, endpoint.dialect ?? "openai")
            ? async (url, body) => {
                const onText = request.onText;
                const assembly = new StreamAssembly(
                  onText ? (index, text) => onText(first + index, text) : undefined,
                );
                try {
                  await requestStream(url, body, this.headers, this.policy.timeoutMs, request.signal, (e) =>
                    assembly.add(e),
                  );
                } catch (error) {
                  // Aborted mid-stream: the choices end with what was generated so far.
                  if (!(error instanceof AbortedError) || !assembly.started) throw error;
                }
                const answer = assembly.response(n);
                pieces = answer.pieces;
                return answer.response;
              }
            : undefined,
      );
      const ctx: ChoiceContext = {
        n,
        stops,
        keepLogprobs: request.logprobs === true,
        keepTop: (request.topLogprobs ?? 0) > 0,
        stopTokenCounts: endpoint.stopTokens,
        ...(chat && request.prefix ? { chatPrefix: request.prefix } : {}),
        ...(pieces ? { streamedPieces: pieces } : {}),
      };
      return [readAnswer(endpoint.dialect ?? "openai", response, ctx)];
    } catch (error) {
      const limit = refusedChoiceLimit(error, n);
      if (limit === undefined) throw error;
      // The server refuses this many choices: learn its limit and split.
      for (const endpoint of this.pool.endpoints)
        endpoint.choicesPerRequest = Math.min(endpoint.choicesPerRequest, limit);
      return this.requestChoices(request, n, seed, key, first);
    }
  }

  /**
   * Whether a request is streamed: when the caller passes text on (`onText`), and for a single sample
   * that may be aborted, so that the tokens generated before the abort are counted (servers report
   * usage only at the end). Plain OpenAI streams say nothing of stops, so those are not streamed
   * for counting alone.
   */
  private streams(request: CompletionRequest, n: number, dialect: Dialect): boolean {
    // Streamed chunks carry no logprobs here: a request that wants them is not streamed.
    if (request.logprobs) return false;
    if (request.onText) return true;
    return n === 1 && request.signal !== undefined && dialect !== "openai";
  }

  /**
   * Most choices one request of this prompt may ask: the endpoint's learnt limit, and 1 on llama.cpp's
   * server with several stop strings (it says which one ended only the first choice).
   */
  private async choiceCap(key: string, stops: readonly string[], signal?: AbortSignal): Promise<number> {
    const endpoint = this.pool.pick(key);
    try {
      await this.detectDialect(endpoint, signal);
    } catch (error) {
      // An unreachable endpoint is dealt with by the failover of the request itself.
      if (!(error instanceof TransientError)) throw error;
    }
    return endpoint.dialect === "llama.cpp" && stops.length > 1 ? 1 : endpoint.choicesPerRequest;
  }

  private body(
    request: CompletionRequest,
    chat: boolean,
    n: number,
    seed: number,
    dialect: Dialect,
  ): Record<string, unknown> {
    const stops = request.stop ?? [];
    const body: Record<string, unknown> = {
      model: this.options.model,
      n,
      seed,
      temperature: request.temperature ?? 1,
      top_p: request.topP ?? 1,
      ...(request.topK ? { top_k: request.topK } : {}),
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
   * Sends one request with failover: a transient failure cools its endpoint down and the request
   * moves to another one at once; when none is left it waits (backoff) and tries again, at most
   * `maxRetries` times beyond one try per endpoint.
   */
  private async send(
    key: string,
    path: string,
    body: (endpoint: Endpoint) => unknown,
    signal: AbortSignal | undefined,
    prepare?: (endpoint: Endpoint) => Promise<void>,
    transport?: (endpoint: Endpoint) => ((url: string, body: unknown) => Promise<WireResponse>) | undefined,
  ): Promise<{ response: WireResponse; endpoint: Endpoint }> {
    const tried = new Set<Endpoint>();
    const attempts = this.policy.maxRetries + this.pool.endpoints.length;
    let waits = 0;
    let lastError: TransientError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const endpoint = this.pool.pick(key, tried);
      endpoint.active++;
      try {
        const response = await this.limiter.run(async () => {
          await this.detectDialect(endpoint, signal);
          await prepare?.(endpoint);
          const url = `${endpoint.url}${path}`;
          const stream = transport?.(endpoint);
          if (stream) return stream(url, body(endpoint));
          return requestJson(url, body(endpoint), this.headers, this.policy.timeoutMs, signal);
        });
        this.pool.succeeded(endpoint);
        return { response: response as WireResponse, endpoint };
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        lastError = error;
        this.pool.failed(endpoint);
        tried.add(endpoint);
      } finally {
        endpoint.active--;
      }
      if (!this.pool.hasAlternative(tried)) {
        if (waits >= this.policy.maxRetries) break;
        await sleep(backoffDelay(this.policy, waits++, lastError), signal);
        tried.clear();
      }
    }
    throw lastError!;
  }

  /** The endpoint's dialect, detected once from `owned_by` of `GET /models`. */
  private async detectDialect(endpoint: Endpoint, signal?: AbortSignal): Promise<void> {
    if (endpoint.dialect) return;
    let pending = this.detecting.get(endpoint);
    if (!pending) {
      pending = requestJson(`${endpoint.url}/models`, undefined, this.headers, this.policy.timeoutMs, signal)
        .then((answer) => {
          const models = (answer as { data?: { id?: string; owned_by?: string }[] }).data ?? [];
          const entry = models.find((m) => m.id === this.options.model) ?? models[0];
          return dialectFromOwner(entry?.owned_by);
        })
        .catch((error: unknown) => {
          // A server without GET /models speaks plain OpenAI as far as deliberate can tell; one that
          // cannot be reached is a failure of this attempt.
          if (error instanceof TransientError) throw error;
          if (error instanceof BackendError && error.status !== undefined) return "openai" as const;
          throw error;
        });
      this.detecting.set(endpoint, pending);
      pending.catch(() => this.detecting.delete(endpoint));
    }
    endpoint.dialect = await pending;
  }

  /** llama.cpp: how many tokens the server makes of a stop string (`POST /tokenize`), cached. */
  private async stopTokenCount(endpoint: Endpoint, stop: string, signal?: AbortSignal): Promise<void> {
    if (endpoint.stopTokens.has(stop)) return;
    const root = endpoint.url.replace(/\/v1$/, "");
    const answer = (await requestJson(
      `${root}/tokenize`,
      { content: stop, add_special: false },
      this.headers,
      this.policy.timeoutMs,
      signal,
    )) as { tokens?: unknown[] };
    if (!Array.isArray(answer.tokens))
      throw new BackendError(`${root}/tokenize returned no tokens for a stop string`);
    endpoint.stopTokens.set(stop, answer.tokens.length);
  }
}

function normalizeUrl(raw: string): string {
  try {
    return new URL(raw).toString().replace(/\/+$/, "");
  } catch {
    throw new ConfigError(`invalid base URL "${raw}"`, { hint: "e.g. http://127.0.0.1:8000/v1" });
  }
}

/** The affinity key of a request: its prompt, so samples and search nodes of one prompt stay together. */
function affinityKey(prompt: Prompt): string {
  return typeof prompt === "string" ? prompt : JSON.stringify(prompt.messages);
}

/** The server's limit when `error` refuses a request of `sent` choices ("1 <= value <= N"). */
function refusedChoiceLimit(error: unknown, sent: number): number | undefined {
  if (sent <= 1 || !(error instanceof BackendError) || error.status !== 400) return undefined;
  if (!/\bn\b|value must be/i.test(error.message)) return undefined;
  const limit = Number(/<=\s*value\s*<=\s*(\d+)/.exec(error.message)?.[1]);
  return Number.isFinite(limit) && limit >= 1 && limit < sent ? limit : 1;
}

export type { Completion };
