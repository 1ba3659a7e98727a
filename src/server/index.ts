/**
 * `deliberate serve`: an OpenAI-compatible HTTP server that runs any registered strategy behind
 * `/v1/chat/completions` and `/v1/completions`. See docs/server.md.
 * @module
 */
export { createServer } from "./app.js";
export { ApiError, type ApiErrorBody, type ApiErrorType } from "./errors.js";
export { LATENCY_BUCKETS, ServerMetrics } from "./metrics.js";
export type { DeliberateServer, ListenInfo, RequestRecord, ServerOptions } from "./options.js";
export { AdmissionQueue } from "./queue.js";
export { DEFAULT_LIMITS, type DeliberateOptions, type ServerLimits } from "./schema.js";
export type { DeliberateExtension, WireCandidate, WireUsage } from "./shapes.js";
