/**
 * Requests to a fleet of OpenAI-compatible servers: each sent with failover and backoff under the
 * concurrency limit, and what is learnt of each server once (its dialect from `GET /models`, the
 * tokens of a stop string from llama.cpp's `POST /tokenize`, the choices it accepts per request).
 */
import { BackendError } from "../../core/errors.js";
import { type Dialect, dialectFromOwner } from "./dialect.js";
import type { Endpoint, EndpointPool } from "./endpoints.js";
import { backoffDelay, type HttpPolicy, requestJson, sleep, TransientError } from "./http.js";
import type { ConcurrencyLimiter } from "./limiter.js";
import type { WireResponse } from "./wire.js";

/** How a request reaches its endpoint instead of one JSON POST (a stream, for instance). */
export type Transport = (url: string, body: unknown) => Promise<WireResponse>;

/** One server fleet of one model: its endpoints, headers, HTTP policy and concurrency limit. */
export class FleetClient {
  private readonly detecting = new Map<Endpoint, Promise<Dialect>>();

  constructor(
    private readonly model: string,
    readonly pool: EndpointPool,
    private readonly headers: Record<string, string>,
    private readonly policy: HttpPolicy,
    private readonly limiter: ConcurrencyLimiter,
  ) {}

  /**
   * Sends one request with failover: a transient failure cools its endpoint down and the request
   * moves to another one at once; when none is left it waits (backoff) and tries again, at most
   * `maxRetries` times beyond one try per endpoint. `body` builds the request for the endpoint chosen
   * (its dialect known by then), `prepare` runs before it is sent, and `transport`, when it gives one,
   * sends it instead of a JSON POST.
   */
  async send(
    key: string,
    path: string,
    body: (endpoint: Endpoint) => unknown,
    signal: AbortSignal | undefined,
    prepare?: (endpoint: Endpoint) => Promise<void>,
    transport?: (endpoint: Endpoint) => Transport | undefined,
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
  async detectDialect(endpoint: Endpoint, signal?: AbortSignal): Promise<void> {
    if (endpoint.dialect) return;
    let pending = this.detecting.get(endpoint);
    if (!pending) {
      pending = requestJson(`${endpoint.url}/models`, undefined, this.headers, this.policy.timeoutMs, signal)
        .then((answer) => {
          const models = (answer as { data?: { id?: string; owned_by?: string }[] }).data ?? [];
          const entry = models.find((m) => m.id === this.model) ?? models[0];
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
  async stopTokenCount(endpoint: Endpoint, stop: string, signal?: AbortSignal): Promise<void> {
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

  /**
   * Most choices one request of this prompt may ask: the endpoint's learnt limit, and 1 on llama.cpp's
   * server with several stop strings (it says which one ended only the first choice).
   */
  async choiceCap(key: string, stops: readonly string[], signal?: AbortSignal): Promise<number> {
    const endpoint = this.pool.pick(key);
    try {
      await this.detectDialect(endpoint, signal);
    } catch (error) {
      // An unreachable endpoint is dealt with by the failover of the request itself.
      if (!(error instanceof TransientError)) throw error;
    }
    return endpoint.dialect === "llama.cpp" && stops.length > 1 ? 1 : endpoint.choicesPerRequest;
  }
}
