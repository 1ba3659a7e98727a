import { setMaxListeners } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { Context } from "hono";
import { addUsage, type Usage } from "../core/usage.js";
import { type Cancellation, cancellation } from "./cancellation.js";
import { ServerMetrics } from "./metrics.js";
import type { ListenInfo, RequestRecord } from "./options.js";
import { AdmissionQueue } from "./queue.js";

/** What {@link ServerLifecycle} needs from the server's options. */
export interface LifecycleOptions {
  maxConcurrency: number;
  maxQueue: number;
  onRequestEnd?: (record: RequestRecord) => void;
}

/**
 * The server's running state: listening and graceful shutdown, the shutdown signal every request's
 * cancellation follows, the requests in flight, admission, and the counters (metrics, request
 * records).
 */
export class ServerLifecycle {
  readonly metrics = new ServerMetrics();
  readonly queue: AdmissionQueue;
  private readonly shutdown = new AbortController();
  private readonly active = new Set<symbol>();
  private idleWaiters: (() => void)[] = [];
  private httpServer: Server | undefined;
  private isDraining = false;

  constructor(private readonly options: LifecycleOptions) {
    setMaxListeners(0, this.shutdown.signal);
    this.queue = new AdmissionQueue(options.maxConcurrency, options.maxQueue, (running, queued) => {
      this.metrics.inFlight = running;
      this.metrics.queueDepth = queued;
    });
  }

  /** True once shutdown began: new generation requests get 503, answers close their connections. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** The abort signal of one request (its client gone, or the server shutting down). */
  cancellation(c: Context): Cancellation {
    return cancellation(c, this.shutdown.signal);
  }

  /** Counts a generation request as in flight until the returned function is called. */
  track(): () => void {
    const token = Symbol("request");
    this.active.add(token);
    return () => {
      this.active.delete(token);
      if (this.active.size === 0) {
        for (const resolve of this.idleWaiters) resolve();
        this.idleWaiters = [];
      }
    };
  }

  /** Where a request's backend calls report their usage: the token counters and its record. */
  usageSink(record: RequestRecord): (usage: Usage) => void {
    const live = record.usage;
    return (usage) => {
      this.metrics.addTokens(usage);
      addUsage(live, usage);
    };
  }

  /** Counts a finished request; a generation request's record gets its status and wall time and is reported. */
  observe(endpoint: string, status: number, seconds: number, record?: RequestRecord): void {
    this.metrics.observeRequest(endpoint, status, seconds);
    if (!record) return;
    record.status = status;
    record.wallMs = seconds * 1000;
    this.options.onRequestEnd?.(record);
  }

  /** Starts an HTTP server on `fetch`. */
  async listen(
    fetch: (request: Request) => Response | Promise<Response>,
    { port = 8080, host = "127.0.0.1" }: { port?: number; host?: string } = {},
  ): Promise<ListenInfo> {
    if (this.httpServer) throw new Error("the server is already listening");
    const server = createAdaptorServer({ fetch }) as Server;
    this.httpServer = server;
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
  }

  /**
   * Stops accepting, lets the requests in flight finish until the deadline, then aborts the rest
   * through the shutdown signal and closes every connection.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.isDraining = true;
    const server = this.httpServer;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    server?.closeIdleConnections();
    await Promise.race([this.idle(), sleep(deadlineMs)]);
    if (this.active.size > 0) {
      this.shutdown.abort(new Error("server shutting down"));
      await Promise.race([this.idle(), sleep(2000)]);
    }
    // Answers already written close their connections (`connection: close` while draining).
    await Promise.race([closed, sleep(1000)]);
    server?.closeAllConnections();
    await closed;
  }

  private idle(): Promise<void> {
    return this.active.size === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
