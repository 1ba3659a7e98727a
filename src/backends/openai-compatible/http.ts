import { AbortedError, BackendError } from "../../core/errors.js";

/** Retry and timeout policy of HTTP calls to a server. */
export interface HttpPolicy {
  timeoutMs: number;
  maxRetries: number;
  /** First backoff delay; doubles with each retry, with jitter. */
  backoffMs: number;
}

const RETRYABLE_STATUS = new Set([408, 409, 429, 500, 502, 503, 504]);

/** A failed attempt that another attempt (later, or at another endpoint) may cure. */
export class TransientError extends BackendError {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options: { status?: number; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * One JSON request (POST with a body, GET without). Returns the parsed answer; throws
 * {@link TransientError} on 408/409/429/5xx, timeouts and connection errors (honouring `Retry-After`),
 * {@link BackendError} with the server's message on other HTTP errors, and {@link AbortedError} when
 * `signal` aborts.
 */
export async function requestJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<unknown> {
  if (signal?.aborted) throw new AbortedError();
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: combined,
    });
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw new AbortedError();
    const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error);
    throw new TransientError(`cannot reach ${url}: ${reason}`, undefined, {
      hint: "is the server running, and is --base-url right?",
      cause: error,
    });
  }
  if (response.ok) {
    try {
      return JSON.parse(text);
    } catch {
      throw new BackendError(`${url} answered with invalid JSON: ${text.slice(0, 200)}`);
    }
  }
  const message = `${url} answered HTTP ${response.status}: ${serverMessage(text)}`;
  if (!RETRYABLE_STATUS.has(response.status)) throw new BackendError(message, { status: response.status });
  const retryAfter = Number(response.headers.get("retry-after"));
  throw new TransientError(
    message,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    {
      status: response.status,
    },
  );
}

/** The delay before retry number `attempt` (0-based): exponential with jitter, or the server's. */
export function backoffDelay(policy: HttpPolicy, attempt: number, error: TransientError): number {
  return error.retryAfterMs ?? policy.backoffMs * 2 ** attempt * (0.5 + Math.random());
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

/** Waits `ms`, or rejects with {@link AbortedError} when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
