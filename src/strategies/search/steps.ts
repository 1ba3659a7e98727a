import { AbortedError } from "../../core/errors.js";
import type { FinishReason } from "../../core/model.js";
import type { Problem } from "../../core/prompt.js";
import { aggregateSteps, type StepAggregation } from "../../core/scorer.js";
import type { StrategyContext } from "../../core/strategy.js";
import { settleAll, shareBudget } from "../sampling.js";

/** One generated reasoning step. */
export interface Step {
  /** The step's text, ending with the step delimiter unless the solution ended inside it. */
  text: string;
  /** Tokens generated for it (the delimiter included). */
  tokens: number;
  /** True when the solution ends with this step (complete, end of text, or the token limit). */
  done: boolean;
  finishReason: FinishReason;
}

/** A partial solution to continue: its text and the tokens generated for it so far. */
export interface PartialSolution {
  text: string;
  tokens: number;
}

/** One expansion request: `n` possible next steps after `from`; sample `i` uses seed `seed + i`. */
export interface ExpandRequest {
  from: PartialSolution;
  n: number;
  seed: number;
  /** Temperature 0 (lookahead and rollouts). */
  greedy?: boolean;
}

/**
 * Proposes next steps. Search algorithms hand it every expansion of one round at once so that a
 * backend decodes them together; the embedded backend also reuses the KV state of the shared
 * prefixes.
 */
export interface StepGenerator {
  /** One list of steps per request, in request order. */
  expand(requests: readonly ExpandRequest[]): Promise<Step[][]>;
}

/** Rates partial or complete solutions step by step (a process reward model). */
export interface StepScorer {
  /** Per-step scores of each solution, in order. A scorer without step scores returns `[value]`. */
  score(solutions: readonly string[]): Promise<number[][]>;
}

/** Sampling settings of step generation. */
export interface StepSettings {
  temperature: number;
  topP: number;
  topK: number;
  /** Most tokens of one step. */
  stepTokens: number;
  /** Most tokens of a whole solution (default: the run's `maxTokens`). */
  maxTokens?: number;
}

/**
 * The step generator over the run's policy model: continues the partial solution (the `prefix` of
 * a completion request) until the step delimiter. A step ends the solution when the solution then
 * passes the task's completeness test (`ctx.isCompleteSolution`, e.g. a stated answer or a closed
 * code block; checked at step delimiters), when the model ends its text (or hits a solution stop
 * string), or at the solution's token limit. Concurrent requests share the remaining token budget
 * so that one round cannot overspend it.
 */
export function modelStepGenerator(
  problem: Problem,
  ctx: StrategyContext,
  settings: StepSettings,
): StepGenerator {
  const delimiter = ctx.defaults.stepDelimiter;
  const maxTokens = settings.maxTokens ?? ctx.defaults.maxTokens;
  return {
    async expand(requests) {
      if (ctx.signal?.aborted) throw new AbortedError();
      const samples = requests.reduce((s, r) => s + r.n, 0);
      const each = shareBudget(ctx, samples, settings.stepTokens);
      // settleAll: every request of the round ends before an error (abort, budget) propagates.
      return settleAll(
        requests.map(async (request) => {
          const room = maxTokens - request.from.tokens;
          if (room < 1) return [];
          const response = await ctx.model.complete({
            prompt: problem.prompt,
            ...(request.from.text ? { prefix: request.from.text } : {}),
            n: request.n,
            temperature: request.greedy ? 0 : settings.temperature,
            topP: settings.topP,
            topK: settings.topK,
            maxTokens: Math.min(each, room),
            stop: [delimiter, ...(ctx.defaults.stop ?? [])],
            seed: request.seed,
            signal: ctx.signal,
          });
          return response.completions.map((c): Step => {
            if (c.finishReason === "abort") throw new AbortedError();
            const atDelimiter = c.finishReason === "stop" && c.stopSequence === delimiter;
            const text = atDelimiter ? c.text + delimiter : c.text;
            const tokens = request.from.tokens + c.completionTokens;
            const done = !atDelimiter
              ? c.finishReason === "stop" || tokens >= maxTokens
              : ctx.isCompleteSolution(request.from.text + text) || tokens >= maxTokens;
            return {
              text,
              tokens: c.completionTokens,
              done,
              finishReason: atDelimiter ? "stop" : c.finishReason,
            };
          });
        }),
      );
    },
  };
}

/**
 * The step scorer over the run's scorer (a PRM): per-step scores when the scorer gives them, else
 * its one value as a single step.
 */
export function contextStepScorer(problem: Problem, ctx: StrategyContext): StepScorer {
  const scorer = ctx.scorer;
  return {
    async score(solutions) {
      if (!scorer || solutions.length === 0) return solutions.map(() => []);
      const { scores } = await scorer.score(problem, [...solutions], { signal: ctx.signal });
      return solutions.map((_, i) => {
        const s = scores[i];
        if (!s) return [Number.NaN];
        return s.steps && s.steps.length > 0 ? s.steps : [s.value];
      });
    },
  };
}

/** Aggregated score of a node's step scores; NaN when it has none. */
export function pathScore(steps: readonly number[] | undefined, how: StepAggregation): number {
  return steps && steps.length > 0 ? aggregateSteps(steps, how) : Number.NaN;
}
