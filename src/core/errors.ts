/**
 * Typed errors. Every error deliberate throws on purpose is a {@link DeliberateError}: it carries a
 * stable `code` for programs and a message that says what was wrong and what to do about it.
 */

/** Base class of all errors deliberate throws on purpose. */
export class DeliberateError extends Error {
  /** Stable machine-readable code, e.g. `invalid_spec`. */
  readonly code: string;
  /** What the user can do about it, appended to the message. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message} — ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad options or input: an unknown strategy, an out-of-range parameter, a malformed spec. */
export class ConfigError extends DeliberateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("invalid_config", message, options);
  }
}

/** A model could not be loaded (missing file, corrupt GGUF, failed download). */
export class ModelLoadError extends DeliberateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("model_load_failed", message, options);
  }
}

/** A backend failed to answer: unreachable server, HTTP error after retries, malformed response. */
export class BackendError extends DeliberateError {
  /** HTTP status, when the failure came from an HTTP response. */
  readonly status: number | undefined;
  constructor(message: string, options: { hint?: string; cause?: unknown; status?: number } = {}) {
    super("backend_error", message, options);
    this.status = options.status;
  }
}

/** A strategy needs a backend capability (e.g. logprobs) that the chosen backend lacks. */
export class CapabilityError extends DeliberateError {
  constructor(message: string, options: { hint?: string } = {}) {
    super("missing_capability", message, options);
  }
}

/** The compute budget is spent; strategies catch this and return their best answer so far. */
export class BudgetExhaustedError extends DeliberateError {
  constructor(message: string) {
    super("budget_exhausted", message);
  }
}

/** The caller aborted the work through its AbortSignal. */
export class AbortedError extends DeliberateError {
  constructor(message = "The operation was aborted.") {
    super("aborted", message);
  }
}

/** Throws {@link AbortedError} when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

/** A strategy that cannot run without a scorer got none; `strategies` names those that need one. */
export class ScorerRequiredError extends ConfigError {
  /** Specs of the strategies that need a scorer. */
  readonly strategies: string[];
  constructor(strategies: string[], options: { hint?: string } = {}) {
    const subject =
      strategies.length === 1 ? `strategy ${strategies[0]}` : `strategies ${strategies.join(", ")}`;
    super(`${subject} ${strategies.length === 1 ? "needs" : "need"} a scorer`, options);
    this.strategies = strategies;
  }
}
