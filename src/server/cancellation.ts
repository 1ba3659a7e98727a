import { setMaxListeners } from "node:events";
import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import { ApiError } from "./errors.js";
import type { RequestRecord } from "./options.js";

/** The abort signal of one request: fired when its client disconnects or the server shuts down. */
export interface Cancellation {
  signal: AbortSignal;
  /** True when the client went away (rather than the server shutting down). */
  readonly clientGone: boolean;
  dispose(): void;
}

/** Watches a request's client and the server's shutdown signal. Call `dispose()` when it ends. */
export function cancellation(c: Context, shutdown: AbortSignal): Cancellation {
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

/** The 503 of a request refused or cancelled because the server is shutting down. */
export function shuttingDown(): ApiError {
  return new ApiError(
    503,
    "the server is shutting down; retry on another instance",
    "server_error",
    "server_shutting_down",
  );
}

/**
 * The error of a cancelled request — 499 when its client went away, 503 on shutdown — after
 * marking its record aborted.
 */
export function abortError(cancel: Cancellation, record: RequestRecord): ApiError {
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
