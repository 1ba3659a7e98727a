import { randomUUID, timingSafeEqual } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConfigError } from "../core/errors.js";
import type { Budget } from "../core/meter.js";
import type { Completion, LanguageModel } from "../core/model.js";
import type { Prompt } from "../core/prompt.js";
import type { AnswerEquivalence, AnswerExtractor, Scorer } from "../core/scorer.js";
import { parseSpec } from "../core/spec.js";
import type { StopReason, Strategy, StrategyEvent, StrategyResult } from "../core/strategy.js";
import { addUsage, emptyUsage, type Usage } from "../core/usage.js";
import { randomSeed } from "../core/validate.js";
import { mathEqual } from "../scorers/math/equivalence.js";
import { extractAnswer } from "../scorers/math/extract.js";
import { scorers } from "../scorers/registry.js";
import { createStrategy, strategies } from "../strategies/registry.js";
import { runStrategy } from "../strategies/run.js";
import { ApiError, badRequest, fromZodError, toApiError } from "./errors.js";
import { ServerMetrics } from "./metrics.js";
import { AdmissionQueue } from "./queue.js";
import {
  type ChatRequest,
  type CompletionRequestBody,
  chatRequestSchema,
  completionRequestSchema,
  DEFAULT_LIMITS,
  type ServerLimits,
} from "./schema.js";
import {
  chatLogprobs,
  chunkText,
  completionLogprobs,
  type DeliberateExtension,
  strategyExtension,
  strategyFinish,
  wireFinish,
  wireUsage,
} from "./shapes.js";

/** Options of {@link createServer}. */

/** The method each route takes, for 405 answers to the others. */
const ROUTE_METHODS: Record<string, string> = {
  "/health": "GET",
  "/metrics": "GET",
  "/v1/models": "GET",
  "/v1/chat/completions": "POST",
  "/v1/completions": "POST",
};

export interface ServerOptions {
  /** The base model every request runs on (embedded, an upstream server, a router). */
  model: LanguageModel;
  /** The name `/v1/models` lists for the base model and requests use (`tiny`, a GGUF file name). Default: `model.id`. */
  modelName?: string;
  /** More names accepted for the base model (`model.id` always is). */
  modelAliases?: string[];
  /** When set, `/v1/*` requests need `Authorization: Bearer KEY` (401 otherwise). */
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

interface Plan {
  prompt: Prompt;
  strategy: Strategy | null;
  scorer: Scorer | undefined;
  /** The judge of judge layers; undefined: the base model. */
  judge: LanguageModel | undefined;
  budget: Budget;
  includeCandidates: boolean;
  n: number;
  maxTokens: number;
  stop: string[] | undefined;
  seed: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  topK: number | undefined;
  logprobs: boolean;
  topLogprobs: number;
}

type Outcome =
  | { kind: "plain"; completions: Completion[]; usage: Usage; wallMs: number }
  | { kind: "strategy"; result: StrategyResult; usage: Usage };

type Endpoint = "chat" | "completions";

const MAX_OPEN_SCORERS = 4;

/** Builds the OpenAI-compatible server over a model and the strategy registry. */
export function createServer(options: ServerOptions): DeliberateServer {
  const model = options.model;
  const modelName = options.modelName ?? model.id;
  const baseNames = new Set([modelName, model.id, ...(options.modelAliases ?? [])]);
  if (options.defaultJudge !== undefined && !options.judges?.[options.defaultJudge]) {
    throw new ConfigError(`the default judge '${options.defaultJudge}' is not among the judges`);
  }
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const defaultMaxTokens = Math.min(options.defaultMaxTokens ?? 512, limits.maxTokens);
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const chatSchema = chatRequestSchema(limits);
  const completionSchema = completionRequestSchema(limits);
  const metrics = new ServerMetrics();
  const queue = new AdmissionQueue(options.maxConcurrency ?? 4, options.maxQueue ?? 64, (running, queued) => {
    metrics.inFlight = running;
    metrics.queueDepth = queued;
  });
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal);
  const openScorers = new Map<string, Promise<Scorer>>();
  const active = new Set<symbol>();
  let idleWaiters: (() => void)[] = [];
  let draining = false;
  let httpServer: Server | undefined;
  let closing: Promise<void> | undefined;
  const created = Math.floor(Date.now() / 1000);

  const track = (): (() => void) => {
    const token = Symbol("request");
    active.add(token);
    return () => {
      active.delete(token);
      if (active.size === 0) {
        for (const resolve of idleWaiters) resolve();
        idleWaiters = [];
      }
    };
  };
  const idle = (): Promise<void> =>
    active.size === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));

  const app = new Hono<{ Variables: { record: RequestRecord; streaming: boolean } }>();

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (!(error instanceof ApiError) && apiError.status >= 500) console.error(error);
    const record = c.get("record");
    if (record) record.status = apiError.status;
    for (const [key, value] of Object.entries(apiError.headers)) c.header(key, value);
    return c.json(apiError.body(), apiError.status as ContentfulStatusCode);
  });

  app.notFound((c) => {
    // A known route asked with the wrong method is 405 with the allowed one, not "no route".
    const allowed = ROUTE_METHODS[c.req.path];
    if (allowed && allowed !== c.req.method) {
      return c.json(
        new ApiError(
          405,
          `${c.req.path} takes ${allowed}, not ${c.req.method}`,
          "invalid_request_error",
          "method_not_allowed",
        ).body(),
        405,
        { allow: allowed },
      );
    }
    return c.json(
      new ApiError(
        404,
        `no route ${c.req.method} ${c.req.path}: see GET /v1/models, POST /v1/chat/completions, POST /v1/completions`,
        "invalid_request_error",
        "unknown_url",
      ).body(),
      404,
    );
  });

  // Metrics of every request; streams record themselves when they end.
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    if (draining) c.header("connection", "close");
    if (c.get("streaming")) return;
    const seconds = (performance.now() - started) / 1000;
    metrics.observeRequest(endpointLabel(c.req.path), c.res.status, seconds);
    const record = c.get("record");
    if (record) {
      record.status = c.res.status;
      record.wallMs = seconds * 1000;
      options.onRequestEnd?.(record);
    }
  });

  app.use("/v1/*", async (c, next) => {
    if (options.apiKey) {
      const header = c.req.header("authorization") ?? "";
      const sent = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      if (!sent) {
        throw new ApiError(
          401,
          "Invalid API Key: none was sent; send the header Authorization: Bearer KEY",
          "invalid_request_error",
          "invalid_api_key",
        );
      }
      if (!sameSecret(sent, options.apiKey)) {
        throw new ApiError(401, "Invalid API Key", "invalid_request_error", "invalid_api_key");
      }
    }
    await next();
  });

  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: () => {
        throw new ApiError(
          413,
          `the request body is larger than ${limits.maxBodyBytes} bytes`,
          "invalid_request_error",
          "request_too_large",
        );
      },
    }),
  );

  app.get("/health", (c) =>
    c.json(
      {
        status: draining ? "draining" : "ok",
        model: modelName,
        in_flight: queue.inFlight,
        queued: queue.queued,
      },
      draining ? 503 : 200,
    ),
  );

  app.get("/metrics", (c) => c.text(metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }));

  app.get("/v1/models", (c) => {
    const data: Record<string, unknown>[] = [
      { id: modelName, object: "model", created, owned_by: "deliberate" },
    ];
    for (const def of strategies.list()) {
      data.push({
        id: `${def.name}@${modelName}`,
        object: "model",
        created,
        owned_by: "deliberate",
        deliberate: {
          strategy: def.name,
          aliases: def.aliases,
          description: def.description,
          params: def.params,
          example: `${def.name}:${def.params[0] ?? "key"}=VALUE@${modelName}`,
        },
      });
    }
    return c.json({ object: "list", data });
  });

  app.post("/v1/chat/completions", (c) => generate(c, "chat"));
  app.post("/v1/completions", (c) => generate(c, "completions"));

  async function generate(c: Context, endpoint: Endpoint): Promise<Response> {
    const record: RequestRecord = {
      id: `${endpoint === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`,
      endpoint: endpointLabel(c.req.path),
      status: 0,
      stream: false,
      strategy: null,
      aborted: false,
      usage: emptyUsage(),
      wallMs: 0,
    };
    c.set("record", record);
    c.header("x-request-id", record.id);
    if (draining) throw shuttingDown();
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw badRequest("the body is not valid JSON", null, "invalid_json");
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw badRequest("the body must be a JSON object", null, "invalid_json");
    }
    const parsed = (endpoint === "chat" ? chatSchema : completionSchema).safeParse(raw);
    if (!parsed.success) throw fromZodError(parsed.error);
    const body = parsed.data as ChatRequest | CompletionRequestBody;
    const plan = await makePlan(endpoint, body, c.req.header("x-deliberate-strategy"));
    record.strategy = plan.strategy?.spec ?? null;
    const cancel = cancellation(c, shutdown.signal);
    const signal = cancel.signal;
    const meta = { id: record.id, model: body.model, created: Math.floor(Date.now() / 1000), endpoint };

    if (body.stream) {
      if (queue.full) throw queue.refusal();
      record.stream = true;
      c.set("streaming", true);
      return streamAnswer(plan, meta, record, cancel, Boolean(body.stream_options?.include_usage));
    }

    const done = track();
    try {
      const release = await queue.acquire(signal).catch((error) => {
        if (signal.aborted) throw abortError(cancel, record);
        throw error;
      });
      let outcome: Outcome;
      try {
        outcome = await execute(plan, signal, () => {}, record.usage);
      } catch (error) {
        if (signal.aborted) throw abortError(cancel, record);
        throw error;
      } finally {
        release();
      }
      record.usage = outcome.usage;
      if (outcome.kind === "strategy") record.stopReason = outcome.result.stopReason;
      if (signal.aborted) throw abortError(cancel, record);
      return c.json(completeAnswer(outcome, plan, meta));
    } finally {
      cancel.dispose();
      done();
    }
  }

  function streamAnswer(
    plan: Plan,
    meta: Meta,
    record: RequestRecord,
    cancel: Cancellation,
    includeUsage: boolean,
  ): Response {
    const signal = cancel.signal;
    const started = performance.now();
    const done = track();
    const slot = queue.acquire(signal);
    slot.catch(() => {});
    const encoder = new TextEncoder();
    let closed = false;
    let streamController!: ReadableStreamDefaultController<Uint8Array>;
    const send = (text: string) => {
      if (closed) return;
      try {
        streamController.enqueue(encoder.encode(text));
      } catch {
        closed = true;
      }
    };
    const comment = (text: string) => send(`: ${text.replace(/[\r\n]+/g, " ")}\n\n`);
    const data = (payload: unknown) => send(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      data({
        id: meta.id,
        object: meta.endpoint === "chat" ? "chat.completion.chunk" : "text_completion",
        created: meta.created,
        model: meta.model,
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      });
    const choiceDelta = (index: number, text: string | null, finish: string | null, role = false) =>
      meta.endpoint === "chat"
        ? {
            index,
            delta: finish ? {} : { ...(role ? { role: "assistant" } : {}), content: text ?? "" },
            logprobs: null,
            finish_reason: finish,
          }
        : { index, text: text ?? "", logprobs: null, finish_reason: finish };

    const run = async () => {
      let release: (() => void) | undefined;
      let heartbeat: ReturnType<typeof setInterval> | undefined;
      const progress = { calls: 0, completionTokens: 0 };
      try {
        if (meta.endpoint === "chat") {
          for (let i = 0; i < plan.n; i++) chunk([choiceDelta(i, "", null, true)]);
        }
        if (queue.queued > 0 && queue.inFlight >= queue.concurrency)
          comment(`queued position=${queue.queued}`);
        release = await slot;
        comment(`progress started strategy=${plan.strategy?.spec ?? "none"}`);
        heartbeat = setInterval(() => {
          comment(
            `progress elapsed_ms=${Math.round(performance.now() - started)} calls=${progress.calls} completion_tokens=${progress.completionTokens}`,
          );
        }, heartbeatMs);
        // A plain request's text is passed on as the backend generates it (when it streams: the
        // OpenAI-compatible backend does); what it did not stream is sent at the end.
        const streamed: string[] = [];
        const onText = (index: number, text: string) => {
          streamed[index] = (streamed[index] ?? "") + text;
          chunk([choiceDelta(index, text, null)]);
        };
        const outcome = await execute(
          plan,
          signal,
          (event) => {
            if (event.type === "usage") {
              progress.calls++;
              progress.completionTokens += event.usage.completionTokens;
              comment(`progress calls=${progress.calls} completion_tokens=${progress.completionTokens}`);
            } else if (event.type === "candidate") {
              const c = event.candidate;
              comment(
                `candidate index=${event.index} answer=${JSON.stringify(c.answer)} tokens=${c.completionTokens} finish=${c.finishReason}${c.score !== undefined ? ` score=${c.score}` : ""}`,
              );
            } else {
              comment(`progress ${event.message} completion_tokens=${event.completionTokens}`);
            }
          },
          record.usage,
          plan.strategy ? undefined : onText,
        );
        clearInterval(heartbeat);
        record.usage = outcome.usage;
        if (outcome.kind === "strategy") record.stopReason = outcome.result.stopReason;
        if (signal.aborted) throw abortError(cancel, record);
        let extension: DeliberateExtension;
        if (outcome.kind === "strategy") {
          for (const piece of chunkText(outcome.result.output)) chunk([choiceDelta(0, piece, null)]);
          extension = strategyExtension(outcome.result, plan.includeCandidates);
          chunk([choiceDelta(0, null, strategyFinish(outcome.result))], { deliberate: extension });
        } else {
          outcome.completions.forEach((completion, index) => {
            const sent = streamed[index] ?? "";
            const rest = completion.text.startsWith(sent)
              ? completion.text.slice(sent.length)
              : completion.text;
            for (const piece of chunkText(rest)) chunk([choiceDelta(index, piece, null)]);
          });
          extension = plainExtension(outcome);
          outcome.completions.forEach((completion, index) => {
            chunk([choiceDelta(index, null, wireFinish(completion.finishReason))], {
              ...(index === outcome.completions.length - 1 ? { deliberate: extension } : {}),
            });
          });
        }
        if (includeUsage) chunk([], { usage: wireUsage(outcome.usage) });
        send("data: [DONE]\n\n");
        record.status = 200;
      } catch (error) {
        const apiError = signal.aborted ? abortError(cancel, record) : toApiError(error);
        if (!(error instanceof ApiError) && apiError.status >= 500 && !signal.aborted) console.error(error);
        record.status = apiError.status;
        data(apiError.body());
        send("data: [DONE]\n\n");
      } finally {
        clearInterval(heartbeat);
        release?.();
        if (!closed) {
          closed = true;
          try {
            streamController.close();
          } catch {}
        }
        const seconds = (performance.now() - started) / 1000;
        record.wallMs = seconds * 1000;
        metrics.observeRequest(record.endpoint, record.status, seconds);
        options.onRequestEnd?.(record);
        cancel.dispose();
        done();
      }
    };

    const readable = new ReadableStream<Uint8Array>({
      start(controller) {
        streamController = controller;
        void run();
      },
      cancel() {
        closed = true;
      },
    });
    return new Response(readable, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        connection: draining ? "close" : "keep-alive",
        "x-request-id": record.id,
        "x-accel-buffering": "no",
      },
    });
  }

  async function makePlan(
    endpoint: Endpoint,
    body: ChatRequest | CompletionRequestBody,
    header: string | undefined,
  ): Promise<Plan> {
    let spec: string | undefined;
    let specParam = "model";
    if (baseNames.has(body.model)) {
      spec = undefined;
    } else {
      const at = body.model.lastIndexOf("@");
      if (at > 0 && baseNames.has(body.model.slice(at + 1))) spec = body.model.slice(0, at).trim();
      else {
        throw new ApiError(
          404,
          `The model '${body.model}' does not exist: use '${modelName}' or 'STRATEGY@${modelName}' (GET /v1/models lists them)`,
          "invalid_request_error",
          "model_not_found",
          "model",
        );
      }
    }
    if (header?.trim()) {
      spec = header.trim();
      specParam = "x-deliberate-strategy";
    }
    const ext = body.deliberate;
    if (ext?.strategy) {
      spec = ext.strategy;
      specParam = "deliberate.strategy";
    }
    let strategy: Strategy | null = null;
    if (spec) {
      try {
        strategy = createStrategy(spec);
      } catch (error) {
        throw toApiError(error, specParam);
      }
    }
    const n = body.n ?? 1;
    if (strategy && n !== 1) {
      throw badRequest(
        `n must be 1 with a strategy (got ${n}): the strategy's own parameters set how many solutions it samples`,
        "n",
      );
    }
    let prompt: Prompt;
    if (endpoint === "chat") {
      if (!model.capabilities.chat) {
        throw badRequest(
          `model ${modelName} has no chat template: use POST /v1/completions with a raw prompt`,
          "messages",
          "unsupported_endpoint",
        );
      }
      prompt = {
        messages: (body as ChatRequest).messages.map((m) => ({
          role: m.role === "developer" ? "system" : m.role,
          content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
        })),
      };
    } else {
      prompt = (body as CompletionRequestBody).prompt;
    }
    const budget: Budget = {
      maxCompletionTokens: capped(
        ext?.budget?.maxCompletionTokens,
        limits.maxBudgetTokens,
        "deliberate.budget.maxCompletionTokens",
      ),
      maxWallMs: capped(ext?.budget?.maxWallMs, limits.maxWallMs, "deliberate.budget.maxWallMs"),
      ...(ext?.budget?.maxCalls ? { maxCalls: ext.budget.maxCalls } : {}),
    };
    let scorer: Scorer | undefined;
    if (strategy && (ext?.scorer || strategy.needsScorer)) {
      scorer = await resolveScorer(ext?.scorer, strategy);
    }
    const judge = strategy ? resolveJudge(ext?.judge) : undefined;
    const chatBody = body as ChatRequest;
    const logprobs =
      endpoint === "chat"
        ? Boolean(chatBody.logprobs)
        : (body as CompletionRequestBody).logprobs != null && (body as CompletionRequestBody).logprobs! >= 0;
    const topLogprobs =
      endpoint === "chat" ? (chatBody.top_logprobs ?? 0) : ((body as CompletionRequestBody).logprobs ?? 0);
    return {
      prompt,
      strategy,
      scorer,
      judge,
      budget,
      includeCandidates: ext?.include_candidates ?? false,
      n,
      maxTokens:
        (endpoint === "chat" ? chatBody.max_completion_tokens : undefined) ??
        body.max_tokens ??
        defaultMaxTokens,
      stop: body.stop,
      seed: body.seed ?? undefined,
      temperature: body.temperature ?? undefined,
      topP: body.top_p ?? undefined,
      topK: body.top_k ?? undefined,
      logprobs,
      topLogprobs,
    };
  }

  function capped(requested: number | undefined, limit: number, param: string): number {
    if (requested === undefined) return limit;
    if (requested > limit) throw badRequest(`${param} must be at most ${limit}, got ${requested}`, param);
    return requested;
  }

  /** The judge a request names (or the server's default); a 400 naming the known ones otherwise. */
  function resolveJudge(requested: string | undefined): LanguageModel | undefined {
    const judges = options.judges ?? {};
    const name = requested ?? options.defaultJudge;
    if (name === undefined || (requested !== undefined && baseNames.has(requested))) return undefined;
    const judge = judges[name];
    if (!judge) {
      const known = [modelName, ...Object.keys(judges)].map((n) => `'${n}'`).join(", ");
      throw badRequest(`unknown judge '${name}': use one of ${known}`, "deliberate.judge", "judge_not_found");
    }
    return judge;
  }

  async function resolveScorer(requested: string | undefined, strategy: Strategy): Promise<Scorer> {
    const fallback = options.scorer;
    if (!requested) {
      if (fallback === undefined) {
        throw badRequest(
          `strategy ${strategy.spec} needs a scorer: set deliberate.scorer (see \`deliberate scorers\`, e.g. verifier:arith), or start the server with --scorer`,
          "deliberate.scorer",
          "scorer_required",
        );
      }
      if (typeof fallback !== "string") return fallback;
      requested = fallback;
    }
    const spec = requested.trim();
    let cached = openScorers.get(spec);
    if (!cached) {
      let parsed: ReturnType<typeof parseSpec>;
      try {
        parsed = parseSpec(spec, "scorer");
      } catch (error) {
        throw toApiError(error, "deliberate.scorer");
      }
      // Clients pick scorer kinds and settings; files and URLs a scorer loads are the server's choice.
      const values = [...parsed.positional, ...Object.values(parsed.params)];
      if (
        spec !== fallback &&
        ("source" in parsed.params || "model" in parsed.params || values.some(isLocation))
      ) {
        throw badRequest(
          "a request's scorer may not name a model file or URL; start the server with --scorer SPEC for that",
          "deliberate.scorer",
        );
      }
      if (openScorers.size >= MAX_OPEN_SCORERS) {
        throw badRequest(
          `the server already has ${MAX_OPEN_SCORERS} scorers open; use one of: ${[...openScorers.keys()].join(", ")}`,
          "deliberate.scorer",
        );
      }
      let factory: ReturnType<typeof scorers.create>;
      try {
        factory = scorers.create(spec);
      } catch (error) {
        throw toApiError(error, "deliberate.scorer");
      }
      cached = factory.open();
      openScorers.set(spec, cached);
      cached.catch(() => openScorers.delete(spec));
    }
    try {
      return await cached;
    } catch (error) {
      throw toApiError(error, "deliberate.scorer");
    }
  }

  type ExecEvent = StrategyEvent | { type: "usage"; usage: Usage };

  /**
   * Runs a plan. Every backend call's usage goes to the metrics and into `live` as it returns, so
   * the work of a request that is aborted midway is counted too.
   */
  async function execute(
    plan: Plan,
    signal: AbortSignal,
    onEvent: (event: ExecEvent) => void,
    live: Usage,
    onText?: (index: number, text: string) => void,
  ): Promise<Outcome> {
    const counted = countingModel(model, (usage) => {
      metrics.addTokens(usage);
      addUsage(live, usage);
      onEvent({ type: "usage", usage });
    });
    if (!plan.strategy) {
      const started = performance.now();
      const response = await counted.complete({
        prompt: plan.prompt,
        n: plan.n,
        maxTokens: plan.maxTokens,
        ...(plan.temperature !== undefined ? { temperature: plan.temperature } : {}),
        ...(plan.topP !== undefined ? { topP: plan.topP } : {}),
        ...(plan.topK !== undefined ? { topK: plan.topK } : {}),
        ...(plan.stop ? { stop: plan.stop } : {}),
        ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
        ...(plan.logprobs ? { logprobs: true, topLogprobs: plan.topLogprobs } : {}),
        ...(onText ? { onText } : {}),
        signal,
      });
      return {
        kind: "plain",
        completions: response.completions,
        usage: response.usage,
        wallMs: performance.now() - started,
      };
    }
    const scorer = plan.scorer
      ? countingScorer(plan.scorer, (usage) => {
          metrics.addTokens(usage);
          addUsage(live, usage);
        })
      : undefined;
    const judge = plan.judge
      ? countingModel(plan.judge, (usage) => {
          metrics.addTokens(usage);
          addUsage(live, usage);
        })
      : undefined;
    const result = await runStrategy(
      plan.strategy,
      { prompt: plan.prompt },
      {
        model: counted,
        ...(judge ? { judge } : {}),
        ...(scorer ? { scorer } : {}),
        budget: plan.budget,
        seed: plan.seed ?? randomSeed(),
        signal,
        onEvent,
        extractAnswer: options.extractAnswer ?? ((text) => extractAnswer(text)),
        sameAnswer: options.sameAnswer ?? mathEqual,
        defaults: { maxTokens: plan.maxTokens, ...(plan.stop ? { stop: plan.stop } : {}) },
      },
    );
    const usage = addUsage({ ...result.usage }, result.scorerUsage);
    usage.wallMs = result.usage.wallMs;
    return { kind: "strategy", result, usage };
  }

  function completeAnswer(outcome: Outcome, plan: Plan, meta: Meta) {
    const chat = meta.endpoint === "chat";
    const promptLength = typeof plan.prompt === "string" ? plan.prompt.length : 0;
    let choices: unknown[];
    let extension: DeliberateExtension;
    if (outcome.kind === "strategy") {
      const { result } = outcome;
      const finish_reason = strategyFinish(result);
      choices = [
        chat
          ? {
              index: 0,
              message: { role: "assistant", content: result.output },
              logprobs: null,
              finish_reason,
            }
          : { index: 0, text: result.output, logprobs: null, finish_reason },
      ];
      extension = strategyExtension(result, plan.includeCandidates);
    } else {
      choices = outcome.completions.map((completion, index) =>
        chat
          ? {
              index,
              message: { role: "assistant", content: completion.text },
              logprobs: plan.logprobs ? chatLogprobs(completion.logprobs) : null,
              finish_reason: wireFinish(completion.finishReason),
            }
          : {
              index,
              text: completion.text,
              logprobs: plan.logprobs ? completionLogprobs(completion.logprobs, promptLength) : null,
              finish_reason: wireFinish(completion.finishReason),
            },
      );
      extension = plainExtension(outcome);
    }
    return {
      id: meta.id,
      object: chat ? "chat.completion" : "text_completion",
      created: meta.created,
      model: meta.model,
      choices,
      usage: wireUsage(outcome.usage),
      deliberate: extension,
    };
  }

  function shuttingDown(): ApiError {
    return new ApiError(
      503,
      "the server is shutting down; retry on another instance",
      "server_error",
      "server_shutting_down",
    );
  }

  function abortError(cancel: Cancellation, record: RequestRecord): ApiError {
    record.aborted = true;
    if (cancel.clientGone) {
      return new ApiError(
        499,
        "the client closed the request; generation was cancelled",
        "invalid_request_error",
        "client_closed_request",
      );
    }
    return shuttingDown();
  }

  return {
    app: app as unknown as Hono,
    fetch: app.fetch,
    metrics,
    async listen({ port = 8080, host = "127.0.0.1" } = {}) {
      if (httpServer) throw new Error("the server is already listening");
      const server = createAdaptorServer({ fetch: app.fetch }) as Server;
      httpServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = host.includes(":") ? `[${host}]` : host;
      return { url: `http://${shown}:${address.port}`, host, port: address.port };
    },
    close({ deadlineMs = options.shutdownDeadlineMs ?? 10_000 } = {}) {
      closing ??= (async () => {
        draining = true;
        const server = httpServer;
        const closed = server
          ? new Promise<void>((resolve) => server.close(() => resolve()))
          : Promise.resolve();
        server?.closeIdleConnections();
        await Promise.race([idle(), sleep(deadlineMs)]);
        if (active.size > 0) {
          shutdown.abort(new Error("server shutting down"));
          await Promise.race([idle(), sleep(2000)]);
        }
        // Answers already written close their connections (`connection: close` while draining).
        await Promise.race([closed, sleep(1000)]);
        server?.closeAllConnections();
        await closed;
        const opened = await Promise.allSettled(openScorers.values());
        for (const entry of opened) if (entry.status === "fulfilled") await entry.value.close?.();
        openScorers.clear();
      })();
      return closing;
    },
  };
}

interface Meta {
  id: string;
  model: string;
  created: number;
  endpoint: Endpoint;
}

function plainExtension(outcome: Extract<Outcome, { kind: "plain" }>): DeliberateExtension {
  return {
    strategy: null,
    num_candidates: outcome.completions.length,
    chosen: -1,
    stop_reason: outcome.completions.some((c) => c.finishReason === "abort") ? "aborted" : "completed",
    wall_ms: Math.round(outcome.wallMs),
    usage: { policy: outcome.usage, scorer: emptyUsage() },
  };
}

/** The abort signal of one request: fired when its client disconnects or the server shuts down. */
interface Cancellation {
  signal: AbortSignal;
  /** True when the client went away (rather than the server shutting down). */
  readonly clientGone: boolean;
  dispose(): void;
}

function cancellation(c: Context, shutdown: AbortSignal): Cancellation {
  const controller = new AbortController();
  // Every sample group of a big strategy run waits on this signal.
  setMaxListeners(0, controller.signal);
  let clientGone = false;
  const onShutdown = () => controller.abort(new Error("server shutting down"));
  shutdown.addEventListener("abort", onShutdown, { once: true });
  if (shutdown.aborted) onShutdown();
  const onClientGone = () => {
    clientGone = true;
    controller.abort(new Error("client closed the request"));
  };
  // On Node, watch the socket directly: touching `c.req.raw.signal` builds a full Request per call.
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && typeof outgoing.once === "function") {
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) onClientGone();
    });
  } else {
    const raw = c.req.raw.signal;
    if (raw.aborted) onClientGone();
    else raw.addEventListener("abort", onClientGone, { once: true });
  }
  return {
    signal: controller.signal,
    get clientGone() {
      return clientGone;
    },
    dispose: () => shutdown.removeEventListener("abort", onShutdown),
  };
}

/** A model whose every call reports its usage as soon as it returns. */
function countingModel(inner: LanguageModel, onUsage: (usage: Usage) => void): LanguageModel {
  const wrapped: LanguageModel = {
    id: inner.id,
    capabilities: inner.capabilities,
    async complete(request) {
      const response = await inner.complete(request);
      onUsage(response.usage);
      return response;
    },
    close: () => inner.close(),
  };
  if (inner.score) {
    const score = inner.score.bind(inner);
    wrapped.score = async (request) => {
      const response = await score(request);
      onUsage({ ...response.usage, completionTokens: 0 });
      return response;
    };
  }
  return wrapped;
}

function countingScorer(inner: Scorer, onUsage: (usage: Usage) => void): Scorer {
  return {
    id: inner.id,
    async score(problem, solutions, options) {
      const result = await inner.score(problem, solutions, options);
      onUsage(result.usage);
      return result;
    },
  };
}

/** A value that names a file or URL (a scorer model to load). */
function isLocation(value: string): boolean {
  return /[/\\]|^(hf|https?|file):|\.gguf$|^~|^\./i.test(value);
}

function endpointLabel(path: string): string {
  switch (path) {
    case "/v1/chat/completions":
    case "/v1/completions":
    case "/v1/models":
    case "/health":
    case "/metrics":
      return path;
    default:
      return "other";
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
