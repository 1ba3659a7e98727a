import { z } from "zod";
import {
  BackendError,
  CapabilityError,
  ConfigError,
  DeliberateError,
  ModelLoadError,
} from "../core/errors.js";

/** The `type` of an OpenAI-style error object. */
export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

/** The body of every error answer, in the OpenAI shape. */
export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/**
 * An error answered to a client with an HTTP status and an OpenAI-style error object
 * (`{"error": {"message", "type", "param", "code"}}`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 with `invalid_request_error`. */
export function badRequest(message: string, param: string | null = null, code = "invalid_value"): ApiError {
  return new ApiError(400, message, "invalid_request_error", code, param);
}

/** The first zod issue as a 400 that names the parameter (`messages.0.role`). */
export function fromZodError(error: z.ZodError, prefix = ""): ApiError {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
  const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
  const message = missing
    ? `missing required parameter: '${path}'`
    : `invalid value for '${path || "body"}': ${issue.message}`;
  return badRequest(message, path || null, missing ? "missing_required_parameter" : "invalid_value");
}

/**
 * Any error thrown while answering, as an {@link ApiError}: bad specs and options are the client's
 * (400), an upstream server's failure is a 502, anything else is a 500.
 */
export function toApiError(error: unknown, param: string | null = null): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return fromZodError(error);
  if (error instanceof ConfigError || error instanceof CapabilityError) {
    return badRequest(error.message, param, error.code);
  }
  if (error instanceof ModelLoadError) return badRequest(error.message, param, error.code);
  if (error instanceof BackendError) {
    return new ApiError(502, `upstream model server failed: ${error.message}`, "server_error", error.code);
  }
  if (error instanceof DeliberateError) return new ApiError(500, error.message, "server_error", error.code);
  return new ApiError(500, `internal error: ${(error as Error)?.message ?? String(error)}`, "server_error");
}
