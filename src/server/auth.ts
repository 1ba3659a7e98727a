import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { ConfigError } from "../core/errors.js";
import { ApiError } from "./errors.js";

/** RFC 6750's bearer token syntax, the only keys `hono/bearer-auth` can match. */
const TOKEN_SYNTAX = /^[A-Za-z0-9._~+/-]+=*$/;

/** Throws a {@link ConfigError} when `apiKey` has characters a bearer token cannot carry. */
export function checkApiKey(apiKey: string): void {
  if (!TOKEN_SYNTAX.test(apiKey)) {
    throw new ConfigError(
      "the API key must be a bearer token: letters, digits and -._~+/ (then = padding); pick another key",
    );
  }
}

/**
 * The API key check of `/v1/*` (Hono's bearer auth, timing-safe): every refusal is a 401 with
 * OpenAI's error object (`invalid_request_error` / `invalid_api_key`), as OpenAI clients expect.
 * @throws ConfigError when the key has characters a bearer token cannot carry.
 */
export function apiKeyAuth(apiKey: string): MiddlewareHandler {
  checkApiKey(apiKey);
  return bearerAuth({
    token: apiKey,
    noAuthenticationHeader: {
      message: unauthorized("Invalid API Key: none was sent; send the header Authorization: Bearer KEY"),
    },
    // Hono answers a malformed header with 400; OpenAI's API answers every bad key with 401.
    invalidAuthenticationHeader: {
      message: unauthorized("Invalid API Key: send the header Authorization: Bearer KEY"),
    },
    invalidToken: { message: unauthorized("Invalid API Key") },
  });
}

/** A 401 answer with OpenAI's error body (bearer auth adds `WWW-Authenticate`). */
function unauthorized(message: string): () => Response {
  const body = new ApiError(401, message, "invalid_request_error", "invalid_api_key").body();
  return () => Response.json(body, { status: 401 });
}
