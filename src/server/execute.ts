import type { Completion } from "../core/model.js";
import type { StrategyEvent, StrategyResult } from "../core/strategy.js";
import { addUsage, type Usage } from "../core/usage.js";
import { randomSeed } from "../core/validate.js";
import { runStrategy } from "../strategies/run.js";
import type { ServerConfig } from "./config.js";
import { countingModel, countingScorer } from "./metering.js";
import type { Plan } from "./plan.js";

/** What a plan produced: the completions of a plain request, or a strategy's result. */
export type Outcome =
  | { kind: "plain"; completions: Completion[]; usage: Usage; wallMs: number }
  | { kind: "strategy"; result: StrategyResult; usage: Usage };

/** A strategy's events, plus one `usage` event per policy call as it returns (stream progress). */
export type ExecEvent = StrategyEvent | { type: "usage"; usage: Usage };

/** Where {@link execute} reports while it runs. */
export interface ExecHooks {
  signal: AbortSignal;
  /** The usage of every backend call (policy, scorer, judge) as it returns. */
  onUsage: (usage: Usage) => void;
  onEvent?: (event: ExecEvent) => void;
  /** Text of a plain request's samples as the backend generates it (backends that stream). */
  onText?: (index: number, text: string) => void;
}

/**
 * Runs a plan on the base model. Every backend call's usage reaches `hooks.onUsage` as it returns,
 * so the work of a request that is aborted midway is counted too.
 */
export async function execute(plan: Plan, config: ServerConfig, hooks: ExecHooks): Promise<Outcome> {
  const { signal, onUsage, onEvent, onText } = hooks;
  const model = countingModel(config.model, (usage) => {
    onUsage(usage);
    onEvent?.({ type: "usage", usage });
  });
  if (!plan.strategy) {
    const started = performance.now();
    const response = await model.complete({
      prompt: plan.prompt,
      n: plan.n,
      maxTokens: plan.maxTokens,
      ...(plan.temperature !== undefined ? { temperature: plan.temperature } : {}),
      ...(plan.topP !== undefined ? { topP: plan.topP } : {}),
      ...(plan.topK !== undefined ? { topK: plan.topK } : {}),
      ...(plan.stop ? { stop: plan.stop } : {}),
      ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
      ...(plan.logprobs ? { logprobs: true, topLogprobs: plan.topLogprobs } : {}),
      ...(onText ? { onText } : {}),
      signal,
    });
    return {
      kind: "plain",
      completions: response.completions,
      usage: response.usage,
      wallMs: performance.now() - started,
    };
  }
  const scorer = plan.scorer ? countingScorer(plan.scorer, onUsage) : undefined;
  const judge = plan.judge ? countingModel(plan.judge, onUsage) : undefined;
  const result = await runStrategy(
    plan.strategy,
    { prompt: plan.prompt },
    {
      model,
      ...(judge ? { judge } : {}),
      ...(scorer ? { scorer } : {}),
      budget: plan.budget,
      seed: plan.seed ?? randomSeed(),
      signal,
      ...(onEvent ? { onEvent } : {}),
      extractAnswer: config.extractAnswer,
      sameAnswer: config.sameAnswer,
      isCompleteSolution: config.isCompleteSolution,
      defaults: { maxTokens: plan.maxTokens, ...(plan.stop ? { stop: plan.stop } : {}) },
    },
  );
  const usage = addUsage({ ...result.usage }, result.scorerUsage);
  usage.wallMs = result.usage.wallMs;
  return { kind: "strategy", result, usage };
}
