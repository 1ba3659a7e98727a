/**
 * One way to put code around a {@link LanguageModel} or a {@link Scorer}: metering, budgets, usage
 * counters and recorders are middleware over the same two wrappers instead of hand-written copies of
 * the model interface. Members a middleware does not hook (id, capabilities, close) pass through.
 */
import { CapabilityError } from "./errors.js";
import type {
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ScoreRequest,
  ScoreResponse,
} from "./model.js";
import type { Problem } from "./prompt.js";
import type { ScoreResult, Scorer } from "./scorer.js";
import type { Usage } from "./usage.js";

/** Calls the next layer (the wrapped model, or the next middleware) with a request. */
export type CompleteNext = (request: CompletionRequest) => Promise<CompletionResponse>;
/** Calls the next layer's `score` with a request. */
export type ScoreNext = (request: ScoreRequest) => Promise<ScoreResponse>;

/**
 * Hooks around a model's calls. Each hook gets the request and `next`; it may change the request,
 * call `next` (or not), and look at or change the response. An absent hook passes the call through.
 */
export interface ModelMiddleware {
  complete?(request: CompletionRequest, next: CompleteNext): Promise<CompletionResponse>;
  /** Runs only for models that can score (`capabilities.promptLogprobs`). */
  score?(request: ScoreRequest, next: ScoreNext): Promise<ScoreResponse>;
}

/** Options of one {@link Scorer.score} call. */
export type ScorerCallOptions = { signal?: AbortSignal } | undefined;
/** Calls the next layer's {@link Scorer.score}. */
export type ScorerNext = (
  problem: Problem,
  solutions: string[],
  options?: ScorerCallOptions,
) => Promise<ScoreResult>;

/** Hooks around a scorer's calls, in the manner of {@link ModelMiddleware}. */
export interface ScorerMiddleware {
  score?(
    problem: Problem,
    solutions: string[],
    options: ScorerCallOptions,
    next: ScorerNext,
  ): Promise<ScoreResult>;
}

/**
 * Checks the one invariant between a model's members and its capabilities: a model that declares
 * `promptLogprobs` has `score`. Throws a {@link CapabilityError} naming the model otherwise.
 */
export function checkModelContract(model: LanguageModel): void {
  if (model.capabilities.promptLogprobs && typeof model.score !== "function") {
    throw new CapabilityError(`model ${model.id} declares promptLogprobs but has no score() to serve it`, {
      hint: "set capabilities.promptLogprobs to false, or implement score()",
    });
  }
}

/**
 * Wraps a model in middleware. The result has `score` exactly when the model declares
 * `capabilities.promptLogprobs` (checked by {@link checkModelContract}), so wrapped models always
 * satisfy `score` present ⇔ `promptLogprobs`: a backend method behind a capability the model does
 * not declare is not exposed. `id`, `capabilities` and `close` pass through.
 */
export function wrapModel(model: LanguageModel, middleware: ModelMiddleware): LanguageModel {
  checkModelContract(model);
  const complete: CompleteNext = (request) => model.complete(request);
  const wrapped: LanguageModel = {
    id: model.id,
    capabilities: model.capabilities,
    complete: middleware.complete ? (request) => middleware.complete!(request, complete) : complete,
    close: () => model.close(),
  };
  if (model.capabilities.promptLogprobs) {
    const score: ScoreNext = (request) => model.score!(request);
    wrapped.score = middleware.score ? (request) => middleware.score!(request, score) : score;
  }
  return wrapped;
}

/** Wraps a scorer in middleware; `id` and `close` pass through. */
export function wrapScorer(scorer: Scorer, middleware: ScorerMiddleware): Scorer {
  const score: ScorerNext = (problem, solutions, options) => scorer.score(problem, solutions, options);
  return {
    id: scorer.id,
    score: middleware.score
      ? (problem, solutions, options) => middleware.score!(problem, solutions, options, score)
      : score,
    ...(scorer.close ? { close: () => scorer.close!() } : {}),
  };
}

/**
 * Middleware that reports each call's usage as soon as the call returns. A scoring call generates
 * nothing, so its usage is reported with `completionTokens: 0` whatever the backend says about the
 * scored continuation.
 */
export function reportModelUsage(onUsage: (usage: Usage) => void): ModelMiddleware {
  return {
    async complete(request, next) {
      const response = await next(request);
      onUsage(response.usage);
      return response;
    },
    async score(request, next) {
      const response = await next(request);
      onUsage({ ...response.usage, completionTokens: 0 });
      return response;
    },
  };
}

/** Middleware that reports each scoring call's usage as soon as it returns. */
export function reportScorerUsage(onUsage: (usage: Usage) => void): ScorerMiddleware {
  return {
    async score(problem, solutions, options, next) {
      const result = await next(problem, solutions, options);
      onUsage(result.usage);
      return result;
    },
  };
}
