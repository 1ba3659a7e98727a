import type { Dialect } from "./dialect.js";

/** One server of a fleet, with what the backend has learnt about it. */
export interface Endpoint {
  /** Base URL including `/v1`, without a trailing slash. */
  url: string;
  /** Set once known: from the options, or detected with `GET /models`. */
  dialect?: Dialect;
  /** Most choices the server accepts in one request (learnt from its refusals). */
  choicesPerRequest: number;
  /** Requests in flight. */
  active: number;
  /** Prompts whose requests it serves (affinity entries). */
  prompts: number;
  /** Not chosen again before this time (ms since epoch) after a failure. */
  downUntil: number;
  /** Consecutive failures, for the cool-down length. */
  failures: number;
  /** llama.cpp: tokens of each stop string as this server tokenizes it. */
  stopTokens: Map<string, number>;
}

/** Most affinity entries kept; the oldest are forgotten first. */
const AFFINITY_LIMIT = 50_000;
/** First cool-down after a failure; doubles with each consecutive one, up to 30 s. */
const COOL_DOWN_MS = 1_000;

/**
 * Spreads requests over several servers with prefix affinity: the first request of a prompt goes to
 * the least-loaded healthy endpoint and every later request of the same prompt (more samples, the
 * children of any node of its search) follows it, so that server's prefix cache serves them. An
 * endpoint that fails is cooled down and requests move to the next one.
 */
export class EndpointPool {
  readonly endpoints: Endpoint[];
  private readonly affinity = new Map<string, Endpoint>();

  constructor(urls: readonly string[], dialect: Dialect | undefined, choicesPerRequest: number) {
    this.endpoints = urls.map((url) => ({
      url,
      ...(dialect ? { dialect } : {}),
      choicesPerRequest,
      active: 0,
      prompts: 0,
      downUntil: 0,
      failures: 0,
      stopTokens: new Map(),
    }));
  }

  /**
   * The endpoint for a request whose prompt is `key`, avoiding those in `exclude` (already failed for
   * this request) while another is available.
   */
  pick(key: string, exclude: ReadonlySet<Endpoint> = new Set()): Endpoint {
    const now = Date.now();
    const usable = (e: Endpoint) => !exclude.has(e) && e.downUntil <= now;
    const sticky = this.affinity.get(key);
    if (sticky && usable(sticky)) return sticky;
    let candidates = this.endpoints.filter(usable);
    if (candidates.length === 0) candidates = this.endpoints.filter((e) => !exclude.has(e));
    if (candidates.length === 0) candidates = this.endpoints;
    // Least loaded: fewest requests in flight, then fewest prompts (requests of prompts picked at
    // the same moment are not in flight yet), then the first listed.
    const chosen = candidates.reduce((best, e) =>
      e.active < best.active || (e.active === best.active && e.prompts < best.prompts) ? e : best,
    );
    this.remember(key, chosen);
    return chosen;
  }

  /** Records a transient failure: the endpoint is cooled down, longer after each one in a row. */
  failed(endpoint: Endpoint): void {
    endpoint.failures++;
    endpoint.downUntil = Date.now() + Math.min(30_000, COOL_DOWN_MS * 2 ** (endpoint.failures - 1));
  }

  /** Records a success: the endpoint is healthy again. */
  succeeded(endpoint: Endpoint): void {
    endpoint.failures = 0;
    endpoint.downUntil = 0;
  }

  /** True when another endpoint than those in `exclude` could take a request now. */
  hasAlternative(exclude: ReadonlySet<Endpoint>): boolean {
    const now = Date.now();
    return this.endpoints.some((e) => !exclude.has(e) && e.downUntil <= now);
  }

  private remember(key: string, endpoint: Endpoint): void {
    const previous = this.affinity.get(key);
    if (previous) previous.prompts--;
    this.affinity.delete(key);
    this.affinity.set(key, endpoint);
    endpoint.prompts++;
    if (this.affinity.size > AFFINITY_LIMIT) {
      const oldest = this.affinity.keys().next().value;
      if (oldest !== undefined) {
        this.affinity.get(oldest)!.prompts--;
        this.affinity.delete(oldest);
      }
    }
  }
}
