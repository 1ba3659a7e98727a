import type { Context } from "hono";
import type { ServerConfig } from "./config.js";
import { ApiError, badRequest, fromZodError } from "./errors.js";
import type { ChatRequest, CompletionRequestBody } from "./schema.js";

/** The two generation endpoints. */
export type Endpoint = "chat" | "completions";

/** A validated request body of either endpoint. */
export type RequestBody = ChatRequest | CompletionRequestBody;

/**
 * Reads and validates a generation request's body: a JSON object of the endpoint's schema.
 * @throws ApiError 400 naming the first bad parameter (413 from the body limit passes through).
 */
export async function readBody(c: Context, endpoint: Endpoint, config: ServerConfig): Promise<RequestBody> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw badRequest("the body is not valid JSON", null, "invalid_json");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw badRequest("the body must be a JSON object", null, "invalid_json");
  }
  const parsed = (endpoint === "chat" ? config.chatSchema : config.completionSchema).safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}
