import type { Context } from "hono";
import { type Endpoint, readBody } from "./body.js";
import { abortError, shuttingDown } from "./cancellation.js";
import type { ServerConfig } from "./config.js";
import { execute, type Outcome } from "./execute.js";
import type { ServerLifecycle } from "./lifecycle.js";
import { makePlan } from "./plan.js";
import { newRecord, type ServerEnv } from "./record.js";
import { answerBody } from "./respond.js";
import type { RequestScorers } from "./scorers.js";
import { streamAnswer } from "./stream.js";

/** The handler of the generation endpoints. */
export type GenerateHandler = (c: Context<ServerEnv>, endpoint: Endpoint) => Promise<Response>;

/**
 * The handler of `POST /v1/chat/completions` and `POST /v1/completions`: validates the body, plans
 * the request, waits for a generation slot, runs it and answers whole or as a stream. A cancelled
 * request answers 499 (client gone) or 503 (shutdown); its record keeps the work it did.
 */
export function generateHandler(
  config: ServerConfig,
  lifecycle: ServerLifecycle,
  scorers: RequestScorers,
): GenerateHandler {
  return async (c, endpoint) => {
    const record = newRecord(endpoint, c.req.path);
    c.set("record", record);
    c.header("x-request-id", record.id);
    if (lifecycle.draining) throw shuttingDown();
    const body = await readBody(c, endpoint, config);
    const plan = await makePlan(endpoint, body, c.req.header("x-deliberate-strategy"), config, scorers);
    record.strategy = plan.strategy?.spec ?? null;
    const cancel = lifecycle.cancellation(c);
    const signal = cancel.signal;
    const meta = { id: record.id, model: body.model, created: Math.floor(Date.now() / 1000), endpoint };

    if (body.stream) {
      const includeUsage = Boolean(body.stream_options?.include_usage);
      if (lifecycle.queue.full) {
        cancel.dispose();
        throw lifecycle.queue.refusal();
      }
      return streamAnswer(c, { plan, meta, record, cancel, includeUsage }, config, lifecycle);
    }

    const done = lifecycle.track();
    try {
      const release = await lifecycle.queue.acquire(signal).catch((error) => {
        if (signal.aborted) throw abortError(cancel, record);
        throw error;
      });
      let outcome: Outcome;
      try {
        outcome = await execute(plan, config, { signal, onUsage: lifecycle.usageSink(record) });
      } catch (error) {
        if (signal.aborted) throw abortError(cancel, record);
        throw error;
      } finally {
        release();
      }
      record.usage = outcome.usage;
      if (outcome.kind === "strategy") record.stopReason = outcome.result.stopReason;
      if (signal.aborted) throw abortError(cancel, record);
      return c.json(answerBody(meta, outcome, plan));
    } finally {
      cancel.dispose();
      done();
    }
  };
}
