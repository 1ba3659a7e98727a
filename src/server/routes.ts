import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { strategies } from "../strategies/registry.js";
import { apiKeyAuth } from "./auth.js";
import type { ServerConfig } from "./config.js";
import { ApiError, toApiError } from "./errors.js";
import type { GenerateHandler } from "./generate.js";
import type { ServerLifecycle } from "./lifecycle.js";
import { endpointLabel, ROUTE_METHODS, type ServerEnv } from "./record.js";

/** What the routes answer from. */
export interface RoutesDeps {
  config: ServerConfig;
  lifecycle: ServerLifecycle;
  /** `POST /v1/chat/completions` and `POST /v1/completions`. */
  generate: GenerateHandler;
  apiKey: string | undefined;
}

/**
 * The Hono app: error and 404/405 answers in OpenAI's error shape, request metrics, the API key and
 * body limit of `/v1/*`, and the routes.
 */
export function buildRoutes({ config, lifecycle, generate, apiKey }: RoutesDeps): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();

  app.onError((error, c) => {
    // Hono's own middleware (bearer auth) throws its finished answer.
    if (error instanceof HTTPException && error.res) return error.getResponse();
    const apiError = toApiError(error);
    if (!(error instanceof ApiError) && apiError.status >= 500) console.error(error);
    for (const [key, value] of Object.entries(apiError.headers)) c.header(key, value);
    return c.json(apiError.body(), apiError.status as ContentfulStatusCode);
  });

  app.notFound((c) => {
    // A known route asked with the wrong method is 405 with the allowed one, not "no route".
    const allowed = ROUTE_METHODS[c.req.path];
    if (allowed && allowed !== c.req.method) {
      const message = `${c.req.path} takes ${allowed}, not ${c.req.method}`;
      const error = new ApiError(405, message, "invalid_request_error", "method_not_allowed");
      return c.json(error.body(), 405, { allow: allowed });
    }
    const message = `no route ${c.req.method} ${c.req.path}: see GET /v1/models, POST /v1/chat/completions, POST /v1/completions`;
    return c.json(new ApiError(404, message, "invalid_request_error", "unknown_url").body(), 404);
  });

  // Metrics of every request; streams count themselves when they end.
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    if (lifecycle.draining) c.header("connection", "close");
    if (c.get("streaming")) return;
    const seconds = (performance.now() - started) / 1000;
    lifecycle.observe(endpointLabel(c.req.path), c.res.status, seconds, c.get("record"));
  });

  if (apiKey) app.use("/v1/*", apiKeyAuth(apiKey));

  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: config.limits.maxBodyBytes,
      onError: () => {
        const message = `the request body is larger than ${config.limits.maxBodyBytes} bytes`;
        throw new ApiError(413, message, "invalid_request_error", "request_too_large");
      },
    }),
  );

  app.get("/health", (c) => {
    const { draining, queue } = lifecycle;
    const health = {
      status: draining ? "draining" : "ok",
      model: config.modelName,
      in_flight: queue.inFlight,
      queued: queue.queued,
    };
    return c.json(health, draining ? 503 : 200);
  });

  app.get("/metrics", (c) =>
    c.text(lifecycle.metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" }),
  );

  app.get("/v1/models", (c) => c.json({ object: "list", data: modelList(config) }));

  app.post("/v1/chat/completions", (c) => generate(c, "chat"));
  app.post("/v1/completions", (c) => generate(c, "completions"));

  return app;
}

/** The `/v1/models` entries: the base model, then one `STRATEGY@BASE` per registered strategy. */
function modelList({ modelName, created }: ServerConfig): Record<string, unknown>[] {
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
  return data;
}
