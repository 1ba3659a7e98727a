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
    throw unreachable(url, error, signal, timeout, timeoutMs);
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

/**
 * POSTs a streaming request and hands every `data:` event of the server-sent event stream to
 * `onEvent` as parsed JSON until `[DONE]` or the end of the body. Fails like {@link requestJson}
 * before the stream starts; an abort (of `signal`) while streaming rejects with {@link AbortedError}
 * after the events received so far were handed over.
 */
export async function requestStream(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onEvent: (event: unknown) => void,
): Promise<void> {
  if (signal?.aborted) throw new AbortedError();
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      body: JSON.stringify(body),
      signal: combined,
    });
  } catch (error) {
    throw unreachable(url, error, signal, timeout, timeoutMs);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    const message = `${url} answered HTTP ${response.status}: ${serverMessage(text)}`;
    if (!RETRYABLE_STATUS.has(response.status)) throw new BackendError(message, { status: response.status });
    throw new TransientError(message, undefined, { status: response.status });
  }
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(bytes, { stream: true });
      let end = buffer.search(/\r?\n\r?\n/);
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        for (const line of block.split(/\r?\n/)) {
          if (!line.startsWith("data:")) continue; // comments (": …") and other fields
          const payload = line.slice(5).trim();
          if (payload === "[DONE]") return;
          let event: unknown;
          try {
            event = JSON.parse(payload);
          } catch {
            throw new BackendError(`${url} sent an event that is not JSON: ${payload.slice(0, 200)}`);
          }
          const error = (event as { error?: unknown }).error;
          if (error) throw new BackendError(`${url} failed while streaming: ${serverMessage(payload)}`);
          onEvent(event);
        }
        end = buffer.search(/\r?\n\r?\n/);
      }
    }
  } catch (error) {
    if (signal?.aborted) throw new AbortedError();
    if (error instanceof BackendError) throw error;
    throw new BackendError(`${url} broke off the stream: ${describeNetworkError(error)}`, { cause: error });
  }
}

/** The error for a request that got no response: aborted by the caller, timed out, or refused. */
function unreachable(
  url: string,
  error: unknown,
  signal: AbortSignal | undefined,
  timeout: AbortSignal,
  timeoutMs: number,
): Error {
  if (signal?.aborted) return new AbortedError();
  const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeNetworkError(error);
  return new TransientError(`cannot reach ${url}: ${reason}`, undefined, {
    hint: "is the server running, and is --base-url right?",
    cause: error,
  });
}
