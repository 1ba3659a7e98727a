import type { LanguageModel } from "../core/model.js";
import type { AnswerEquivalence, AnswerExtractor } from "../core/scorer.js";
import type { CompleteSolutionTest } from "../core/strategy.js";
import { mathEqual } from "../scorers/math/equivalence.js";
import { extractAnswer } from "../scorers/math/extract.js";
import { statesMathAnswer } from "../tasks/completion.js";
import type { ServerOptions } from "./options.js";
import { chatRequestSchema, completionRequestSchema, DEFAULT_LIMITS, type ServerLimits } from "./schema.js";

/** The server's options with every default filled in: what the request modules read. */
export interface ServerConfig {
  model: LanguageModel;
  /** The name `/v1/models` lists for the base model. */
  modelName: string;
  /** Every name a request may use for the base model. */
  baseNames: ReadonlySet<string>;
  limits: ServerLimits;
  defaultMaxTokens: number;
  heartbeatMs: number;
  /** Unix time the server was created (the `created` of `/v1/models`). */
  created: number;
  chatSchema: ReturnType<typeof chatRequestSchema>;
  completionSchema: ReturnType<typeof completionRequestSchema>;
  extractAnswer: AnswerExtractor;
  sameAnswer: AnswerEquivalence;
  isCompleteSolution: CompleteSolutionTest;
}

/** Fills in the defaults of {@link ServerOptions}. */
export function resolveConfig(options: ServerOptions): ServerConfig {
  const model = options.model;
  const modelName = options.modelName ?? model.id;
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
    model,
    modelName,
    baseNames: new Set([modelName, model.id, ...(options.modelAliases ?? [])]),
    limits,
    defaultMaxTokens: Math.min(options.defaultMaxTokens ?? 512, limits.maxTokens),
    heartbeatMs: options.heartbeatMs ?? 1000,
    created: Math.floor(Date.now() / 1000),
    chatSchema: chatRequestSchema(limits),
    completionSchema: completionRequestSchema(limits),
    extractAnswer: options.extractAnswer ?? ((text) => extractAnswer(text)),
    sameAnswer: options.sameAnswer ?? mathEqual,
    isCompleteSolution: options.isCompleteSolution ?? statesMathAnswer,
  };
}
