import type { Budget } from "../core/meter.js";
import type { LanguageModel } from "../core/model.js";
import type { Prompt } from "../core/prompt.js";
import type { Scorer } from "../core/scorer.js";
import type { Strategy } from "../core/strategy.js";
import { createStrategy } from "../strategies/registry.js";
import type { Endpoint, RequestBody } from "./body.js";
import type { ServerConfig } from "./config.js";
import { ApiError, badRequest, toApiError } from "./errors.js";
import type { ChatRequest, CompletionRequestBody } from "./schema.js";
import type { RequestScorers } from "./scorers.js";

/** What one generation request runs: a plain completion (no strategy) or a strategy run. */
export interface Plan {
  prompt: Prompt;
  strategy: Strategy | null;
  scorer: Scorer | undefined;
  /** The judge of judge layers; undefined: the base model. */
  judge: LanguageModel | undefined;
  budget: Budget;
  includeCandidates: boolean;
  n: number;
  maxTokens: number;
  stop: string[] | undefined;
  seed: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  topK: number | undefined;
  logprobs: boolean;
  topLogprobs: number;
}

/**
 * Turns a validated request into a {@link Plan}: the strategy (from the model name `SPEC@BASE`, the
 * `X-Deliberate-Strategy` header or `deliberate.strategy`, the last one winning), the prompt, the
 * budget capped by the server's limits, the scorer and judge, and the sampling settings.
 * @throws ApiError 404 for a model name that is not the base model's, 400 for anything else wrong.
 */
export async function makePlan(
  endpoint: Endpoint,
  body: RequestBody,
  strategyHeader: string | undefined,
  config: ServerConfig,
  scorers: RequestScorers,
): Promise<Plan> {
  const ext = body.deliberate;
  const strategy = selectStrategy(body, strategyHeader, config);
  const n = body.n ?? 1;
  if (strategy && n !== 1) {
    throw badRequest(
      `n must be 1 with a strategy (got ${n}): the strategy's own parameters set how many solutions it samples`,
      "n",
    );
  }
  const prompt = promptOf(endpoint, body, config);
  const budget: Budget = {
    maxCompletionTokens: capped(
      ext?.budget?.maxCompletionTokens,
      config.limits.maxBudgetTokens,
      "deliberate.budget.maxCompletionTokens",
    ),
    maxWallMs: capped(ext?.budget?.maxWallMs, config.limits.maxWallMs, "deliberate.budget.maxWallMs"),
    ...(ext?.budget?.maxCalls ? { maxCalls: ext.budget.maxCalls } : {}),
  };
  const scorer = strategy ? await scorers.scorerFor(ext?.scorer, strategy) : undefined;
  const judge = strategy ? scorers.judgeFor(ext?.judge) : undefined;
  const chat = endpoint === "chat" ? (body as ChatRequest) : undefined;
  const completionLogprobs = chat ? undefined : (body as CompletionRequestBody).logprobs;
  return {
    prompt,
    strategy,
    scorer,
    judge,
    budget,
    includeCandidates: ext?.include_candidates ?? false,
    n,
    maxTokens: chat?.max_completion_tokens ?? body.max_tokens ?? config.defaultMaxTokens,
    stop: body.stop,
    seed: body.seed ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    topK: body.top_k ?? undefined,
    logprobs: chat ? Boolean(chat.logprobs) : completionLogprobs != null && completionLogprobs >= 0,
    topLogprobs: chat ? (chat.top_logprobs ?? 0) : (completionLogprobs ?? 0),
  };
}

/** The strategy a request asks for, or null for a plain completion. */
function selectStrategy(
  body: RequestBody,
  header: string | undefined,
  config: ServerConfig,
): Strategy | null {
  let spec: string | undefined;
  let param = "model";
  if (!config.baseNames.has(body.model)) {
    const at = body.model.lastIndexOf("@");
    if (!(at > 0 && config.baseNames.has(body.model.slice(at + 1)))) {
      throw new ApiError(
        404,
        `The model '${body.model}' does not exist: use '${config.modelName}' or 'STRATEGY@${config.modelName}' (GET /v1/models lists them)`,
        "invalid_request_error",
        "model_not_found",
        "model",
      );
    }
    spec = body.model.slice(0, at).trim();
  }
  if (header?.trim()) {
    spec = header.trim();
    param = "x-deliberate-strategy";
  }
  if (body.deliberate?.strategy) {
    spec = body.deliberate.strategy;
    param = "deliberate.strategy";
  }
  if (!spec) return null;
  try {
    return createStrategy(spec);
  } catch (error) {
    throw toApiError(error, param);
  }
}

/** The prompt of a request: chat messages (developer messages as system ones) or the raw text. */
function promptOf(endpoint: Endpoint, body: RequestBody, config: ServerConfig): Prompt {
  if (endpoint === "completions") return (body as CompletionRequestBody).prompt;
  if (!config.model.capabilities.chat) {
    throw badRequest(
      `model ${config.modelName} has no chat template: use POST /v1/completions with a raw prompt`,
      "messages",
      "unsupported_endpoint",
    );
  }
  return {
    messages: (body as ChatRequest).messages.map((m) => ({
      role: m.role === "developer" ? "system" : m.role,
      content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
    })),
  };
}

/** A requested budget figure, or the server's limit when none was asked; over the limit is a 400. */
function capped(requested: number | undefined, limit: number, param: string): number {
  if (requested === undefined) return limit;
  if (requested > limit) throw badRequest(`${param} must be at most ${limit}, got ${requested}`, param);
  return requested;
}
