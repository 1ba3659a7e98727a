import { AbortedError, BackendError } from "../../core/errors.js";

/** Retry and timeout policy of HTTP calls to a server. */
export interface HttpPolicy {
  timeoutMs: number;
  maxRetries: number;
  /** First backoff delay; doubles with each retry, with jitter. */
  backoffMs: number;
}

const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504]);

/**
 * POSTs JSON and returns the parsed JSON answer. Retries with exponential backoff on 429, 5xx,
 * timeouts and connection errors (honouring `Retry-After`); other HTTP errors fail at once with the
 * server's message.
 */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  policy: HttpPolicy,
  signal?: AbortSignal,
): Promise<unknown> {
  let lastError: BackendError | undefined;
  for (let attempt = 0; attempt <= policy.maxRetries; attempt++) {
    if (signal?.aborted) throw new AbortedError();
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: combined,
      });
      const text = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(text);
        } catch {
          throw new BackendError(`${url} answered with invalid JSON: ${text.slice(0, 200)}`);
        }
      }
      const message = serverMessage(text);
      lastError = new BackendError(`${url} answered HTTP ${response.status}: ${message}`, {
        status: response.status,
      });
      if (!RETRYABLE_STATUS.has(response.status)) throw lastError;
      const retryAfter = Number(response.headers.get("retry-after"));
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
    } catch (error) {
      if (error instanceof BackendError && !RETRYABLE_STATUS.has(error.status ?? 0)) throw error;
      if (signal?.aborted) throw new AbortedError();
      if (!(error instanceof BackendError)) {
        const reason = timeout.aborted
          ? `no answer within ${policy.timeoutMs} ms`
          : describeNetworkError(error);
        lastError = new BackendError(`cannot reach ${url}: ${reason}`, {
          hint: "is the server running, and is --base-url right?",
          cause: error,
        });
      }
    }
    if (attempt < policy.maxRetries) {
      const delay = retryAfterMs ?? policy.backoffMs * 2 ** attempt * (0.5 + Math.random());
      await sleep(delay, signal);
    }
  }
  throw lastError!;
}

function serverMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === "string") return parsed.error;
    return parsed.error?.message ?? parsed.message ?? text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new AbortedError());
      },
      { once: true },
    );
  });
}
