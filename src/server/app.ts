import type { Hono } from "hono";
import { resolveConfig } from "./config.js";
import { generateHandler } from "./generate.js";
import { ServerLifecycle } from "./lifecycle.js";
import type { DeliberateServer, ServerOptions } from "./options.js";
import { buildRoutes } from "./routes.js";
import { RequestScorers } from "./scorers.js";

export type { DeliberateServer, ListenInfo, RequestRecord, ServerOptions } from "./options.js";

/**
 * Builds the OpenAI-compatible server over a model and the strategy registry.
 * @throws ConfigError for a default judge that is not among the judges, or an API key that is not a
 * bearer token.
 */
export function createServer(options: ServerOptions): DeliberateServer {
  const config = resolveConfig(options);
  const scorers = new RequestScorers({
    ...(options.scorer !== undefined ? { scorer: options.scorer } : {}),
    ...(options.judges ? { judges: options.judges } : {}),
    ...(options.defaultJudge !== undefined ? { defaultJudge: options.defaultJudge } : {}),
    modelName: config.modelName,
    baseNames: config.baseNames,
  });
  const lifecycle = new ServerLifecycle({
    maxConcurrency: options.maxConcurrency ?? 4,
    maxQueue: options.maxQueue ?? 64,
    ...(options.onRequestEnd ? { onRequestEnd: options.onRequestEnd } : {}),
  });
  const app = buildRoutes({
    config,
    lifecycle,
    generate: generateHandler(config, lifecycle, scorers),
    apiKey: options.apiKey,
  });
  let closing: Promise<void> | undefined;
  return {
    app: app as unknown as Hono,
    fetch: app.fetch,
    metrics: lifecycle.metrics,
    listen: (where) => lifecycle.listen(app.fetch, where),
    close({ deadlineMs = options.shutdownDeadlineMs ?? 10_000 } = {}) {
      closing ??= lifecycle.stop(deadlineMs).then(() => scorers.close());
      return closing;
    },
  };
}
