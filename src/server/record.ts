import { randomUUID } from "node:crypto";
import { emptyUsage } from "../core/usage.js";
import type { Endpoint } from "./body.js";
import type { RequestRecord } from "./options.js";

/** The Hono environment of the server: what a generation request leaves for the middleware. */
export interface ServerEnv {
  Variables: {
    /** The request's record (generation requests only). */
    record: RequestRecord;
    /** True when the answer is a stream, which counts itself when it ends. */
    streaming: boolean;
  };
}

/** The method each route takes, for 405 answers to the others. */
export const ROUTE_METHODS: Readonly<Record<string, string>> = {
  "/health": "GET",
  "/metrics": "GET",
  "/v1/models": "GET",
  "/v1/chat/completions": "POST",
  "/v1/completions": "POST",
};

/** The record of a new generation request, with its answer id (`chatcmpl-…`, `cmpl-…`). */
export function newRecord(endpoint: Endpoint, path: string): RequestRecord {
  return {
    id: `${endpoint === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`,
    endpoint: endpointLabel(path),
    status: 0,
    stream: false,
    strategy: null,
    aborted: false,
    usage: emptyUsage(),
    wallMs: 0,
  };
}

/** The metrics label of a path: the route, or "other" (unknown paths must not grow the label set). */
export function endpointLabel(path: string): string {
  return Object.hasOwn(ROUTE_METHODS, path) ? path : "other";
}
