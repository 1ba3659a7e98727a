import { BackendError, CapabilityError, ConfigError } from "../../core/errors.js";
import type {
  Completion,
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ModelCapabilities,
  ScoreRequest,
  ScoreResponse,
} from "../../core/model.js";
import type { ChatMessage } from "../../core/prompt.js";
import { addUsage, emptyUsage, type Usage } from "../../core/usage.js";
import { randomSeed, validateCompletionRequest } from "../../core/validate.js";
import { type HttpPolicy, postJson } from "./http.js";
import { ConcurrencyLimiter } from "./limiter.js";
import { parseChoice, parseLogprobs, type WireResponse } from "./wire.js";

/** Options of {@link OpenAICompatibleModel}. */
export interface OpenAICompatibleOptions {
  /** Base URL of the API, including `/v1` (e.g. `http://127.0.0.1:8000/v1`). */
  baseUrl: string;
  /** The server's model name. */
  model: string;
  apiKey?: string;
  /**
   * `auto` (default): chat prompts go to `/chat/completions`, raw text to `/completions`.
   * `chat` sends raw text as one user message.
   */
  endpoint?: "auto" | "chat" | "completions";
  /** Per-request timeout. Default 120 s. */
  timeoutMs?: number;
  /** Retries on 429, 5xx and connection errors. Default 3. */
  maxRetries?: number;
  /** First retry delay, doubled each retry. Default 500 ms. */
  backoffMs?: number;
  /** Most requests in flight at once. Default 16. */
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
 * A model behind any OpenAI-compatible server: vLLM, SGLang, llama.cpp's server, Ollama, hosted
 * APIs. Asks for `n` choices in one request and splits the request when the server refuses that
 * many (llama.cpp's server accepts at most its slot count), counts completion tokens per choice
 * (servers differ in what `usage` covers for `n` > 1), and retries transient failures.
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  readonly capabilities: ModelCapabilities;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly policy: HttpPolicy;
  private readonly limiter: ConcurrencyLimiter;
  private choicesPerRequest: number;

  constructor(private readonly options: OpenAICompatibleOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ConfigError(`invalid base URL "${options.baseUrl}"`, {
        hint: "e.g. http://127.0.0.1:8000/v1",
      });
    }
    if (!options.model)
      throw new ConfigError("an OpenAI-compatible backend needs a model name (--model NAME)");
    this.baseUrl = url.toString().replace(/\/+$/, "");
    this.id = options.model;
    this.headers = { ...options.headers };
    if (options.apiKey) this.headers.authorization = `Bearer ${options.apiKey}`;
    this.policy = {
      timeoutMs: options.timeoutMs ?? 120_000,
      maxRetries: options.maxRetries ?? 3,
      backoffMs: options.backoffMs ?? 500,
    };
    const concurrency = options.concurrency ?? 16;
    this.limiter = new ConcurrencyLimiter(concurrency);
    this.choicesPerRequest = options.maxChoicesPerRequest ?? Number.POSITIVE_INFINITY;
    this.capabilities = {
      logprobs: true,
      promptLogprobs: options.promptLogprobs ?? false,
      prefixCache: true,
      maxParallel: concurrency,
      chat: true,
    };
  }

  async complete(request: CompletionRequest): Promise<CompletionResponse> {
    validateCompletionRequest(request);
    const started = performance.now();
    const n = request.n ?? 1;
    const seed = request.seed ?? randomSeed();
    const usage = emptyUsage();
    const completions: Completion[] = [];
    let next = 0;
    // Chunks run concurrently; when the server refuses a chunk's size, the rest is split smaller.
    const pending: Promise<void>[] = [];
    while (next < n) {
      const first = next;
      const size = Math.min(this.choicesPerRequest, n - first);
      next += size;
      pending.push(
        this.requestChoices(request, size, seed + first, usage).then((chunk) => {
          chunk.forEach((c, i) => {
            completions[first + i] = c;
          });
        }),
      );
    }
    await Promise.all(pending);
    usage.wallMs = performance.now() - started;
    return { completions, usage };
  }

  async score(request: ScoreRequest): Promise<ScoreResponse> {
    if (!this.capabilities.promptLogprobs) {
      throw new CapabilityError(
        `the server behind ${this.baseUrl} is not declared to return prompt logprobs`,
        {
          hint: "use a server that supports echo with logprobs (vLLM) and set promptLogprobs: true",
        },
      );
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
    const response = (await this.limiter.run(() =>
      postJson(`${this.baseUrl}/completions`, body, this.headers, this.policy, request.signal),
    )) as WireResponse;
    const logprobs = response.choices?.[0]?.logprobs;
    const offsets = logprobs?.text_offset;
    const tokens = parseLogprobs(logprobs);
    if (!tokens || !offsets)
      throw new BackendError("the server returned no prompt logprobs for an echo request");
    // Keep the continuation's tokens: those starting at or after its first character, before the
    // one generated token at the end.
    const scored = tokens.slice(0, -1).filter((_, i) => offsets[i]! >= head.length);
    const usage = this.wireUsage(response, 1, 0);
    usage.wallMs = performance.now() - started;
    return { tokens: scored, usage };
  }

  async close(): Promise<void> {}

  private async requestChoices(
    request: CompletionRequest,
    n: number,
    seed: number,
    usage: Usage,
  ): Promise<Completion[]> {
    const chat = typeof request.prompt !== "string" || this.options.endpoint === "chat";
    if (!chat && this.options.endpoint === "completions" && typeof request.prompt !== "string") {
      throw new ConfigError("chat messages need the chat endpoint");
    }
    // Per-choice token counts come from logprobs, so ask for them whenever a request has several choices.
    const wantLogprobs = request.logprobs === true || n > 1;
    const body: Record<string, unknown> = {
      model: this.options.model,
      n,
      seed,
      temperature: request.temperature ?? 1,
      top_p: request.topP ?? 1,
      ...(request.topK ? { top_k: request.topK } : {}),
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
    };
    if (chat) {
      const messages: ChatMessage[] =
        typeof request.prompt === "string"
          ? [{ role: "user", content: request.prompt }]
          : [...request.prompt.messages];
      if (request.prefix) {
        // Continue the assistant's message (vLLM and SGLang extension).
        messages.push({ role: "assistant", content: request.prefix });
        body.continue_final_message = true;
        body.add_generation_prompt = false;
      }
      body.messages = messages;
      if (wantLogprobs) {
        body.logprobs = true;
        if (request.topLogprobs) body.top_logprobs = request.topLogprobs;
      }
    } else {
      body.prompt = (request.prompt as string) + (request.prefix ?? "");
      if (wantLogprobs) body.logprobs = Math.max(1, request.topLogprobs ?? 0);
    }
    const url = `${this.baseUrl}/${chat ? "chat/completions" : "completions"}`;
    let response: WireResponse;
    try {
      response = (await this.limiter.run(() =>
        postJson(url, body, this.headers, this.policy, request.signal),
      )) as WireResponse;
    } catch (error) {
      if (
        n > 1 &&
        error instanceof BackendError &&
        error.status === 400 &&
        /\bn\b|value must be/i.test(error.message)
      ) {
        // The server refuses this many choices: learn its limit and split.
        const limit = Number(/<=\s*value\s*<=\s*(\d+)/.exec(error.message)?.[1]);
        this.choicesPerRequest = Math.min(
          this.choicesPerRequest,
          Number.isFinite(limit) && limit >= 1 ? limit : 1,
        );
        return this.splitRequest(request, n, seed, usage);
      }
      throw error;
    }
    const choices = [...(response.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (choices.length !== n) throw new BackendError(`asked ${url} for ${n} choices, got ${choices.length}`);
    const completions = choices.map((choice) => {
      const logprobs = parseLogprobs(choice.logprobs);
      const counted = logprobs?.length ?? response.usage?.completion_tokens ?? 0;
      const completion = parseChoice(choice, request.stop ?? [], counted);
      if (request.logprobs && logprobs) completion.logprobs = logprobs;
      return completion;
    });
    const counted = completions.reduce((s, c) => s + c.completionTokens, 0);
    addUsage(usage, this.wireUsage(response, 1, counted));
    return completions;
  }

  private async splitRequest(
    request: CompletionRequest,
    n: number,
    seed: number,
    usage: Usage,
  ): Promise<Completion[]> {
    const parts: Promise<Completion[]>[] = [];
    for (let first = 0; first < n; first += this.choicesPerRequest) {
      parts.push(
        this.requestChoices(request, Math.min(this.choicesPerRequest, n - first), seed + first, usage),
      );
    }
    return (await Promise.all(parts)).flat();
  }

  private wireUsage(response: WireResponse, calls: number, completionTokens: number): Usage {
    return {
      promptTokens: response.usage?.prompt_tokens ?? 0,
      cachedPromptTokens: response.usage?.prompt_tokens_details?.cached_tokens ?? 0,
      completionTokens,
      calls,
      wallMs: 0,
    };
  }
}
