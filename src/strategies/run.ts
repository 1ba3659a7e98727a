import { AbortedError, BudgetExhaustedError } from "../core/errors.js";
import { type Budget, ComputeMeter } from "../core/meter.js";
import type { LanguageModel } from "../core/model.js";
import type { Problem } from "../core/prompt.js";
import { resolveScorer } from "../core/resolve-scorer.js";
import { Rng } from "../core/rng.js";
import type { AnswerEquivalence, AnswerExtractor, Scorer } from "../core/scorer.js";
import type {
  CompleteSolutionTest,
  GenerationDefaults,
  Strategy,
  StrategyEvent,
  StrategyResult,
} from "../core/strategy.js";
import { TraceRecorder } from "../core/trace.js";
import { validatePrompt } from "../core/validate.js";

/**
 * The completeness test of a run whose task gives none: never true, so that a solution ends only
 * where the model ends it (its end-of-generation token or a solution stop string) or at `maxTokens`.
 * It assumes no answer format.
 */
export const untilModelStops: CompleteSolutionTest = () => false;

/** Everything {@link runStrategy} needs besides the strategy and the problem. */
export interface RunOptions {
  model: LanguageModel;
  /** Model for judge layers (rank, fuse, critique). Default: `model`. Counted in `scorerUsage`. */
  judge?: LanguageModel;
  scorer?: Scorer;
  budget?: Budget;
  /** Seed of the run; the same seed reproduces the same result on the same backend. Default 0. */
  seed?: number;
  signal?: AbortSignal;
  onEvent?: (event: StrategyEvent) => void;
  extractAnswer: AnswerExtractor;
  /** Answer equivalence for voting. Default: exact string equality after trimming. */
  sameAnswer?: AnswerEquivalence;
  /**
   * The task's test of a complete solution, which step-level strategies end a solution at (tasks
   * supply one: `statesMathAnswer`, `statesArithAnswer`, `closesCodeBlock`). Default
   * {@link untilModelStops}: no text completes a solution, so it ends where the model ends it.
   */
  isCompleteSolution?: CompleteSolutionTest;
  defaults?: Partial<GenerationDefaults>;
}

/**
 * Runs a strategy on one problem: sets up the meter (usage and budget), the seeded generator and
 * the trace, and returns the outcome with exact usage. A spent budget or an abort ends the run with
 * the matching `stopReason` instead of an error. An empty prompt is a `ConfigError` (see
 * `validatePrompt`).
 */
export async function runStrategy(
  strategy: Strategy,
  problem: Problem,
  options: RunOptions,
): Promise<StrategyResult> {
  validatePrompt(problem.prompt);
  const scorer = resolveScorer(strategy, {
    given: options.scorer,
    hint: 'give it one in the run options (scorer), e.g. await scorers.create("genprm").open()',
  });
  const meter = new ComputeMeter(options.budget);
  const trace = new TraceRecorder();
  const seed = options.seed ?? 0;
  const ctx = {
    model: meter.model(options.model),
    ...(options.judge ? { judge: meter.judge(options.judge) } : {}),
    ...(scorer ? { scorer: meter.scorer(scorer) } : {}),
    extractAnswer: options.extractAnswer,
    sameAnswer: options.sameAnswer ?? ((a: string, b: string) => a.trim() === b.trim()),
    isCompleteSolution: options.isCompleteSolution ?? untilModelStops,
    rng: new Rng(seed),
    seed,
    ...(options.signal ? { signal: options.signal } : {}),
    meter,
    trace,
    defaults: { maxTokens: 512, stepDelimiter: "\n", ...options.defaults },
    emit: options.onEvent ?? (() => {}),
  };
  let outcome: Awaited<ReturnType<Strategy["run"]>>;
  try {
    outcome = await strategy.run(problem, ctx);
  } catch (error) {
    meter.finish();
    if (!(error instanceof BudgetExhaustedError || error instanceof AbortedError)) throw error;
    outcome = {
      answer: null,
      output: "",
      candidates: [],
      chosen: -1,
      stopReason: error instanceof AbortedError ? "aborted" : "budget",
    };
  }
  meter.finish();
  const usage = { ...meter.usage, wallMs: meter.elapsedMs() };
  return {
    ...outcome,
    strategy: strategy.spec,
    usage,
    scorerUsage: { ...meter.scorerUsage },
    trace: [...trace.nodes],
  };
}
