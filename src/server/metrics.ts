import type { Usage } from "../core/usage.js";

/** Upper bounds (seconds) of the request latency histogram's buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The server's counters, rendered as Prometheus text by {@link ServerMetrics.render}: requests by
 * endpoint and status, tokens (prompt, cached prompt, completion; policy and scorer together), a
 * latency histogram, queue depth and requests in flight. Token counters grow as each backend call
 * returns, not only when a request ends.
 */
export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  readonly tokens = { prompt: 0, cached: 0, completion: 0 };
  private readonly buckets = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  queueDepth = 0;
  inFlight = 0;

  /** Counts one finished request and its latency. */
  observeRequest(endpoint: string, status: number, seconds: number): void {
    const key = `endpoint="${endpoint}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) this.buckets[i]!++;
  }

  /** Adds the tokens of one backend call. */
  addTokens(usage: Partial<Usage>): void {
    this.tokens.prompt += usage.promptTokens ?? 0;
    this.tokens.cached += usage.cachedPromptTokens ?? 0;
    this.tokens.completion += usage.completionTokens ?? 0;
  }

  /** Requests counted so far with this status (all endpoints). */
  requestCount(status?: number): number {
    let total = 0;
    for (const [key, value] of this.requests) {
      if (status === undefined || key.endsWith(`status="${status}"`)) total += value;
    }
    return total;
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    const lines: string[] = [];
    lines.push("# HELP deliberate_requests_total Requests answered, by endpoint and HTTP status.");
    lines.push("# TYPE deliberate_requests_total counter");
    for (const [labels, value] of [...this.requests].sort()) {
      lines.push(`deliberate_requests_total{${labels}} ${value}`);
    }
    lines.push("# HELP deliberate_tokens_total Tokens of all backend calls (policy and scorers).");
    lines.push("# TYPE deliberate_tokens_total counter");
    lines.push(`deliberate_tokens_total{kind="prompt"} ${this.tokens.prompt}`);
    lines.push(`deliberate_tokens_total{kind="cached"} ${this.tokens.cached}`);
    lines.push(`deliberate_tokens_total{kind="completion"} ${this.tokens.completion}`);
    lines.push(
      "# HELP deliberate_request_duration_seconds Wall time of requests, first byte in to last byte out.",
    );
    lines.push("# TYPE deliberate_request_duration_seconds histogram");
    LATENCY_BUCKETS.forEach((le, i) => {
      lines.push(`deliberate_request_duration_seconds_bucket{le="${le}"} ${this.buckets[i]}`);
    });
    lines.push(`deliberate_request_duration_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    lines.push(`deliberate_request_duration_seconds_sum ${this.latencySum}`);
    lines.push(`deliberate_request_duration_seconds_count ${this.latencyCount}`);
    lines.push("# HELP deliberate_queue_depth Requests waiting for a generation slot.");
    lines.push("# TYPE deliberate_queue_depth gauge");
    lines.push(`deliberate_queue_depth ${this.queueDepth}`);
    lines.push("# HELP deliberate_requests_in_flight Requests generating now.");
    lines.push("# TYPE deliberate_requests_in_flight gauge");
    lines.push(`deliberate_requests_in_flight ${this.inFlight}`);
    return `${lines.join("\n")}\n`;
  }
}
