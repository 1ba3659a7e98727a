import type { Hono } from "hono";
import type { LanguageModel } from "../core/model.js";
import type { AnswerEquivalence, AnswerExtractor, Scorer } from "../core/scorer.js";
import type { CompleteSolutionTest, StopReason } from "../core/strategy.js";
import type { Usage } from "../core/usage.js";
import type { ServerMetrics } from "./metrics.js";
import type { ServerLimits } from "./schema.js";

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The base model every request runs on (embedded, an upstream server, a router). */
  model: LanguageModel;
  /** The name `/v1/models` lists for the base model and requests use (`tiny`, a GGUF file name). Default: `model.id`. */
  modelName?: string;
  /** More names accepted for the base model (`model.id` always is). */
  modelAliases?: string[];
  /**
   * When set, `/v1/*` requests need `Authorization: Bearer KEY` (401 otherwise). The key must have
   * the bearer-token syntax of RFC 6750 (letters, digits, `-._~+/`, trailing `=`).
   */
  apiKey?: string;
  /** Requests generating at once. Default 4. */
  maxConcurrency?: number;
  /** Requests waiting for a slot; beyond it a request is refused with 429. Default 64. */
  maxQueue?: number;
  limits?: Partial<ServerLimits>;
  /**
   * Scorer for strategies that need one when the request names none: a scorer spec (opened on first
   * use) or an opened scorer. Without it such requests must name `deliberate.scorer`.
   */
  scorer?: string | Scorer;
  /**
   * Judge models for rank, fuse and critique, by name: a request picks one with `deliberate.judge`
   * (the base model's name picks the base model). The server does not close them.
   */
  judges?: Record<string, LanguageModel>;
  /** The judge of requests that name none (a key of `judges`). Default: the base model. */
  defaultJudge?: string;
  /** `max_tokens` of a request that sets none (per solution). Default 512. */
  defaultMaxTokens?: number;
  /** Answer extraction of strategies. Default: the math extractor (`\boxed{}`, `A:`, "the answer is"). */
  extractAnswer?: AnswerExtractor;
  /** Answer equivalence of voting strategies. Default: math equivalence. */
  sameAnswer?: AnswerEquivalence;
  /**
   * When step-level search counts a solution as complete. Default: it states a math answer, the
   * counterpart of the default `extractAnswer`; serve code tasks with `closesCodeBlock`.
   */
  isCompleteSolution?: CompleteSolutionTest;
  /** How long {@link DeliberateServer.close} lets in-flight requests finish before cancelling them. Default 10 s. */
  shutdownDeadlineMs?: number;
  /** Interval of `: progress` heartbeat comments on streams. Default 1000 ms. */
  heartbeatMs?: number;
  /** Called once per generation request when it ends, whatever its status. */
  onRequestEnd?: (record: RequestRecord) => void;
}

/** What {@link ServerOptions.onRequestEnd} learns about a finished generation request. */
export interface RequestRecord {
  id: string;
  endpoint: string;
  status: number;
  stream: boolean;
  /** Canonical strategy spec; null for plain requests or requests refused before one was chosen. */
  strategy: string | null;
  /** True when the client disconnected or the server shut down before the answer was complete. */
  aborted: boolean;
  stopReason?: StopReason;
  /** Every token the request used (policy and scorers). */
  usage: Usage;
  wallMs: number;
}

/** Where a listening server is. */
export interface ListenInfo {
  url: string;
  host: string;
  port: number;
}

/** A configured server: the Hono app (usable without a socket through `fetch`), plus listen/close. */
export interface DeliberateServer {
  app: Hono;
  /** The web-standard handler: `(request) => response`. */
  fetch: (request: Request) => Response | Promise<Response>;
  metrics: ServerMetrics;
  /** Starts listening (default 127.0.0.1:8080; port 0 picks a free port). */
  listen(options?: { port?: number; host?: string }): Promise<ListenInfo>;
  /**
   * Graceful shutdown: stops accepting, lets in-flight requests finish until the deadline, then
   * cancels the rest through their abort signals, closes connections and opened scorers. The model
   * is the caller's to close.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}
