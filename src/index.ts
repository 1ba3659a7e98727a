/**
 * deliberate — inference-time compute scaling for TypeScript.
 *
 * A strategy (meta-generator) composes a {@link LanguageModel} with {@link Scorer}s under a
 * {@link Budget} and returns the answer, every candidate, the trace and exact usage:
 *
 * ```ts
 * import { LlamaCppModel, createStrategy, runStrategy, extractAnswer } from "deliberate";
 * const model = await LlamaCppModel.load(); // the embedded model; or { model: "model.gguf" }
 * const result = await runStrategy(createStrategy("sc:n=16"), { prompt: "Q:57+38-19+44\n" }, {
 *   model, extractAnswer,
 * });
 * ```
 * @packageDocumentation
 */
export * from "./core/errors.js";
export type * from "./core/prompt.js";
export { promptText } from "./core/prompt.js";
export type * from "./core/model.js";
export type * from "./core/strategy.js";
export { type Usage, emptyUsage, addUsage } from "./core/usage.js";
export { type Budget, ComputeMeter, validateBudget } from "./core/meter.js";
export { Rng } from "./core/rng.js";
export { TraceRecorder, type TraceNode, type TraceStatus } from "./core/trace.js";
export { parseTraceFile, toTraceFile, traceFileSchema, type TraceFile } from "./core/trace-file.js";
export {
  type Scorer,
  type ScoreResult,
  type SolutionScore,
  type StepAggregation,
  type AnswerExtractor,
  type AnswerEquivalence,
  aggregateSteps,
} from "./core/scorer.js";
export { parseSpec, Registry, type ParsedSpec, type Definition } from "./core/spec.js";
export { validateCompletionRequest, validatePrompt, MAX_SAMPLES_PER_REQUEST } from "./core/validate.js";

export { LlamaCppModel, type LlamaCppOptions } from "./backends/llama-cpp/index.js";
export { OpenAICompatibleModel, type OpenAICompatibleOptions } from "./backends/openai-compatible/index.js";

export { strategies, createStrategy } from "./strategies/registry.js";
export { runStrategy, type RunOptions } from "./strategies/run.js";
export { majorityVote, groupAnswers, argmax, type AnswerClass } from "./strategies/vote.js";

export { scorers, type ScorerFactory } from "./scorers/registry.js";
export { LogprobPrm, type LogprobPrmOptions } from "./scorers/reward/logprob-prm.js";

export { embeddedModels, embeddedModelPath } from "./defaults.js";

export * from "./scorers/math/index.js";
export * from "./scorers/code/index.js";
export { ArithVerifierScorer } from "./scorers/verifiers/arith-verifier.js";
export * from "./tasks/arith/index.js";
export * from "./eval/metrics/index.js";
export * from "./eval/datasets/index.js";
export { RunStore } from "./eval/store.js";
export {
  parseModelShape,
  formatModelShape,
  readGgufModelShape,
  type RunModelShape,
} from "./eval/model-shape.js";
export { executeRun, type EvalConfig } from "./eval/runner.js";
export { summarizeRun, formatSummary, type EvalSummary } from "./eval/summary.js";
export { createServer } from "./server/index.js";
export {
  searchStrategy,
  finishSearch,
  type SearchAlgorithm,
  type SearchContext,
  type SearchResult,
  type SearchSettings,
  type FinalSelection,
} from "./strategies/search/search.js";
export {
  modelStepGenerator,
  contextStepScorer,
  type Step,
  type StepGenerator,
  type StepScorer,
  type ExpandRequest,
} from "./strategies/search/steps.js";
export { SearchTree, type SearchNode } from "./strategies/search/tree.js";
export { beamSearch, type BeamSettings } from "./strategies/search/beam.js";
export { dvts, type DvtsSettings } from "./strategies/search/dvts.js";
export { diverseBeamSearch, type DiverseBeamSettings } from "./strategies/search/diverse-beam.js";
export {
  particleFilter,
  multinomialResample,
  systematicResample,
  type ParticleSettings,
} from "./strategies/search/particle-filter.js";
export { particleGibbs, type ParticleGibbsSettings } from "./strategies/search/particle-gibbs.js";
export { mcts, type MctsSettings } from "./strategies/search/mcts.js";
export { rebase, rebaseAllocation, type RebaseSettings } from "./strategies/search/rebase.js";
export { aStar, type AStarSettings } from "./strategies/search/a-star.js";
