/**
 * The OpenAI-compatible backend as a {@link LanguageModel}: completions of `n` choices, split into
 * requests each server accepts, and scoring by echo. The parts live beside it: request-body.ts (what is
 * sent), fleet-client.ts (failover, dialect detection, server probes), stream-request.ts (streamed
 * requests), responses.ts (usage, scored tokens, refusals), with dialect.ts and wire.ts reading answers.
 */
import { ConfigError } from "../../core/errors.js";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
  ScoreResponse,
} from "../../core/model.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import { type ChoiceContext, DIALECTS, type Dialect, type ReadAnswer, readAnswer } from "./dialect.js";
import { EndpointPool } from "./endpoints.js";
import { FleetClient } from "./fleet-client.js";
import type { HttpPolicy } from "./http.js";
import { ConcurrencyLimiter } from "./limiter.js";
import { affinityKey, completionBody, isStreamed, scoreBody, streamFields } from "./request-body.js";
import { continuationTokens, refusedChoiceLimit, requestUsage, scoringUsage } from "./responses.js";
import { streamAnswer } from "./stream-request.js";

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
  /**
   * Scores a continuation through `echo` with logprobs. Present only when the server is declared to
   * return prompt logprobs (`promptLogprobs: true`), as the model contract asks.
   */
  readonly score?: (request: ScoreRequest) => Promise<ScoreResponse>;
  readonly pool: EndpointPool;
  private readonly headers: Record<string, string>;
  private readonly policy: HttpPolicy;
  private readonly fleet: FleetClient;

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
    const limiter = new ConcurrencyLimiter(concurrency * urls.length);
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
    this.fleet = new FleetClient(options.model, this.pool, this.headers, this.policy, limiter);
    if (this.capabilities.promptLogprobs) this.score = (request) => this.scoreByEcho(request);
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    validateCompletionRequest(request);
    const started = performance.now();
    const n = request.n ?? 1;
    const seed = request.seed ?? randomSeed();
    const parts = await this.requestChoices(request, n, seed, affinityKey(request.prompt));
    const completions = parts.flatMap((p) => p.completions);
    return { completions, usage: requestUsage(parts, performance.now() - started) };
  }

  private async scoreByEcho(request: ScoreRequest): Promise<ScoreResponse> {
    if (typeof request.prompt !== "string") {
      throw new ConfigError("scoring needs a raw text prompt on an OpenAI-compatible server");
    }
    const head = request.prompt + (request.prefix ?? "");
    const body = scoreBody(this.options.model, head, request);
    const started = performance.now();
    const { response } = await this.fleet.send(request.prompt, "/completions", () => body, request.signal);
    const tokens = continuationTokens(response, head.length);
    return { tokens, usage: scoringUsage(response, performance.now() - started) };
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
    const cap = await this.fleet.choiceCap(key, stops, request.signal);
    if (n > cap) {
      const parts: Promise<ReadAnswer[]>[] = [];
      for (let part = 0; part < n; part += cap) {
        parts.push(this.requestChoices(request, Math.min(cap, n - part), seed + part, key, first + part));
      }
      return (await Promise.all(parts)).flat();
    }
    try {
      let pieces: number[] | undefined;
      const { response, endpoint } = await this.fleet.send(
        key,
        path,
        (endpoint) => {
          const dialect = endpoint.dialect ?? "openai";
          const body = completionBody(this.options.model, request, chat, n, seed, dialect);
          return isStreamed(request, n, dialect) ? { ...body, ...streamFields(dialect) } : body;
        },
        request.signal,
        async (endpoint) => {
          if (endpoint.dialect === "llama.cpp" && stops.length === 1 && n > 1)
            await this.fleet.stopTokenCount(endpoint, stops[0]!, request.signal);
        },
        (endpoint) =>
          isStreamed(request, n, endpoint.dialect ?? "openai")
            ? async (url, body) => {
                const onText = request.onText;
                const answer = await streamAnswer(url, body, n, {
                  headers: this.headers,
                  timeoutMs: this.policy.timeoutMs,
                  signal: request.signal,
                  ...(onText ? { onText: (index: number, text: string) => onText(first + index, text) } : {}),
                });
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
}

function normalizeUrl(raw: string): string {
  try {
    return new URL(raw).toString().replace(/\/+$/, "");
  } catch {
    throw new ConfigError(`invalid base URL "${raw}"`, { hint: "e.g. http://127.0.0.1:8000/v1" });
  }
}

export type { Completion };
