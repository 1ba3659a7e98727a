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

export { LlamaCppModel, type LlamaCppOptions } from "./backends/llama-cpp/index.js";
export { OpenAICompatibleModel, type OpenAICompatibleOptions } from "./backends/openai-compatible/index.js";
export * from "./core/errors.js";
export { type Budget, ComputeMeter, validateBudget } from "./core/meter.js";
export type * from "./core/model.js";
export type * from "./core/prompt.js";
export { promptText } from "./core/prompt.js";
export { resolveScorer, type ScorerChoice, type ScorerNeed } from "./core/resolve-scorer.js";
export { Rng } from "./core/rng.js";
export {
  type AnswerEquivalence,
  type AnswerExtractor,
  aggregateSteps,
  type ScoreResult,
  type Scorer,
  type SolutionScore,
  type StepAggregation,
} from "./core/scorer.js";
export { type Definition, type ParsedSpec, parseSpec, Registry } from "./core/spec.js";
export type * from "./core/strategy.js";
export { type TraceNode, TraceRecorder, type TraceStatus } from "./core/trace.js";
export { parseTraceFile, type TraceFile, toTraceFile, traceFileSchema } from "./core/trace-file.js";
export { addUsage, emptyUsage, type Usage } from "./core/usage.js";
export { MAX_SAMPLES_PER_REQUEST, validateCompletionRequest, validatePrompt } from "./core/validate.js";
export {
  type CompleteNext,
  checkModelContract,
  type ModelMiddleware,
  reportModelUsage,
  reportScorerUsage,
  type ScoreNext,
  type ScorerMiddleware,
  type ScorerNext,
  wrapModel,
  wrapScorer,
} from "./core/wrap.js";
export { embeddedModelPath, embeddedModels } from "./defaults.js";
export * from "./eval/datasets/index.js";
export * from "./eval/metrics/index.js";
export {
  formatModelShape,
  parseModelShape,
  type RunModelShape,
  readGgufModelShape,
} from "./eval/model-shape.js";
export { type EvalConfig, executeRun } from "./eval/runner.js";
export { RunStore } from "./eval/store.js";
export { type EvalSummary, formatSummary, summarizeRun } from "./eval/summary.js";
export * from "./scorers/code/index.js";
export * from "./scorers/math/index.js";
export { type ScorerFactory, scorers } from "./scorers/registry.js";
export { LogprobPrm, type LogprobPrmOptions } from "./scorers/reward/logprob-prm.js";
export { ArithVerifierScorer } from "./scorers/verifiers/arith-verifier.js";
export { createServer } from "./server/index.js";
export { createStrategy, strategies } from "./strategies/registry.js";
export { type RunOptions, runStrategy, untilModelStops } from "./strategies/run.js";
export { type AStarSettings, aStar } from "./strategies/search/a-star.js";
export { type BeamSettings, beamSearch } from "./strategies/search/beam.js";
export { type DiverseBeamSettings, diverseBeamSearch } from "./strategies/search/diverse-beam.js";
export { type DvtsSettings, dvts } from "./strategies/search/dvts.js";
export { type MctsSettings, mcts } from "./strategies/search/mcts.js";
export {
  multinomialResample,
  type ParticleSettings,
  type ParticleWeighting,
  particleFilter,
  particleWeights,
  systematicResample,
} from "./strategies/search/particle-filter.js";
export { type ParticleGibbsSettings, particleGibbs } from "./strategies/search/particle-gibbs.js";
export { type RebaseSettings, rebase, rebaseAllocation } from "./strategies/search/rebase.js";
export {
  type FinalSelection,
  finishSearch,
  type SearchAlgorithm,
  type SearchContext,
  type SearchResult,
  type SearchSettings,
  searchStrategy,
} from "./strategies/search/search.js";
export {
  contextStepScorer,
  type ExpandRequest,
  modelStepGenerator,
  type Step,
  type StepGenerator,
  type StepScorer,
} from "./strategies/search/steps.js";
export { type SearchNode, SearchTree } from "./strategies/search/tree.js";
export { type AnswerClass, argmax, groupAnswers, majorityVote } from "./strategies/vote.js";
export * from "./tasks/arith/index.js";
export { closesCodeBlock, statesMathAnswer } from "./tasks/completion.js";
