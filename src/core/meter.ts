import { AbortedError, BudgetExhaustedError, ConfigError } from "./errors.js";
import type {
  CompletionRequest,
  CompletionResponse,
  LanguageModel,
  ScoreRequest,
  ScoreResponse,
} from "./model.js";
import type { Scorer } from "./scorer.js";
import { addUsage, emptyUsage, type Usage } from "./usage.js";
import {
  type CompleteNext,
  reportModelUsage,
  reportScorerUsage,
  type ScoreNext,
  wrapModel,
  wrapScorer,
} from "./wrap.js";

/** Explicit compute budget of one strategy run. Unset fields are unlimited. */
export interface Budget {
  /** Most tokens the policy model may generate, summed over all samples. */
  maxCompletionTokens?: number;
  /** Most policy-model calls. */
  maxCalls?: number;
  /** Wall-clock limit in milliseconds from the start of the run. */
  maxWallMs?: number;
}

/** Checks a budget's fields and throws a {@link ConfigError} naming the bad one. */
export function validateBudget(budget: Budget): Budget {
  for (const [key, value] of Object.entries(budget)) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`budget.${key} must be a positive number, got ${value}`);
    }
  }
  return budget;
}

/**
 * Counts every token and call of one run, in one place: the model and scorers a strategy sees are
 * wrapped by {@link ComputeMeter.model}, {@link ComputeMeter.judge} and {@link ComputeMeter.scorer}
 * (middleware over {@link wrapModel} / {@link wrapScorer}). It also enforces the budget:
 * a call that the budget cannot cover throws {@link BudgetExhaustedError}, and `maxTokens` is clamped
 * so that the generated total never exceeds `maxCompletionTokens`.
 */
export class ComputeMeter {
  /** Policy-model usage. */
  readonly usage: Usage = emptyUsage();
  /** Scorer usage (reward models, judges), kept apart so reports can show both. */
  readonly scorerUsage: Usage = emptyUsage();
  readonly budget: Budget;
  private readonly startedAt: number;
  /** Aborts the calls in flight when the time budget runs out. */
  private readonly wall = new AbortController();
  private wallTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(budget: Budget = {}) {
    this.budget = validateBudget(budget);
    this.startedAt = Date.now();
    if (budget.maxWallMs !== undefined) {
      this.wallTimer = setTimeout(() => this.wall.abort(), budget.maxWallMs);
    }
  }

  /** Ends the run's time budget watch; call when the run is over. */
  finish(): void {
    clearTimeout(this.wallTimer);
    this.wallTimer = undefined;
  }

  /** The request's signal joined with the time budget's, so a spent time budget stops work in flight. */
  private signalFor(signal: AbortSignal | undefined): AbortSignal | undefined {
    if (this.budget.maxWallMs === undefined) return signal;
    return signal ? AbortSignal.any([signal, this.wall.signal]) : this.wall.signal;
  }

  /** True when `signal` did not abort but the time budget did: the call ended for the budget. */
  private timedOut(signal: AbortSignal | undefined): boolean {
    return this.wall.signal.aborted && !signal?.aborted;
  }

  /** Milliseconds since the run started. */
  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Policy tokens still allowed (Infinity when unlimited). */
  remainingTokens(): number {
    const max = this.budget.maxCompletionTokens;
    return max === undefined ? Number.POSITIVE_INFINITY : Math.max(0, max - this.usage.completionTokens);
  }

  /** Why the budget is spent, or null while it is not. */
  exhaustedReason(): string | null {
    const { maxCompletionTokens, maxCalls, maxWallMs } = this.budget;
    if (maxCompletionTokens !== undefined && this.usage.completionTokens >= maxCompletionTokens) {
      return `token budget of ${maxCompletionTokens} spent`;
    }
    if (maxCalls !== undefined && this.usage.calls >= maxCalls) return `call budget of ${maxCalls} spent`;
    if (maxWallMs !== undefined && this.elapsedMs() >= maxWallMs)
      return `time budget of ${maxWallMs} ms spent`;
    return null;
  }

  /** True once any budget limit is reached. */
  exhausted(): boolean {
    return this.exhaustedReason() !== null;
  }

  /** Wraps a policy model so that its calls are counted and budgeted. */
  model(inner: LanguageModel): LanguageModel {
    return wrapModel(inner, {
      complete: (request, next) => this.meteredComplete(request, next),
      score: (request, next) => this.meteredScore(request, next),
    });
  }

  /**
   * Wraps a judge model (rank, fuse, critique layers): counted with the scorers, because its calls
   * are not policy generation, so they neither count against nor are limited by the policy's budget.
   */
  judge(inner: LanguageModel): LanguageModel {
    return wrapModel(
      inner,
      reportModelUsage((usage) => addUsage(this.scorerUsage, usage)),
    );
  }

  /** Wraps a scorer so that its compute is counted apart from the policy's. */
  scorer(inner: Scorer): Scorer {
    return wrapScorer(
      inner,
      reportScorerUsage((usage) => addUsage(this.scorerUsage, usage)),
    );
  }

  /** A policy generation: refused when the budget is spent, `maxTokens` clamped to what is left. */
  private async meteredComplete(request: CompletionRequest, next: CompleteNext): Promise<CompletionResponse> {
    const reason = this.exhaustedReason();
    if (reason) throw new BudgetExhaustedError(reason);
    const n = request.n ?? 1;
    const perSample = Math.floor(this.remainingTokens() / n);
    if (perSample < 1) throw new BudgetExhaustedError(`token budget too small for ${n} more samples`);
    const maxTokens = Math.min(request.maxTokens ?? Number.POSITIVE_INFINITY, perSample);
    const signal = this.signalFor(request.signal);
    let response: CompletionResponse;
    try {
      response = await next({
        ...request,
        maxTokens: Number.isFinite(maxTokens) ? maxTokens : undefined,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw this.budgetErrorFor(error, request.signal);
    }
    addUsage(this.usage, response.usage);
    // Generations stopped by the time budget are counted, then the run ends for the budget.
    if (this.timedOut(request.signal) && response.completions.some((c) => c.finishReason === "abort"))
      throw new BudgetExhaustedError(this.exhaustedReason() ?? "time budget spent");
    return response;
  }

  /** A policy scoring call: refused when the budget is spent; its prompt counts, nothing generated. */
  private async meteredScore(request: ScoreRequest, next: ScoreNext): Promise<ScoreResponse> {
    const reason = this.exhaustedReason();
    if (reason) throw new BudgetExhaustedError(reason);
    const signal = this.signalFor(request.signal);
    let response: ScoreResponse;
    try {
      response = await next({ ...request, ...(signal ? { signal } : {}) });
    } catch (error) {
      throw this.budgetErrorFor(error, request.signal);
    }
    addUsage(this.usage, { ...response.usage, completionTokens: 0 });
    return response;
  }

  /** An abort caused by the time budget (not by the caller) becomes {@link BudgetExhaustedError}. */
  private budgetErrorFor(error: unknown, signal: AbortSignal | undefined): unknown {
    if (error instanceof AbortedError && this.timedOut(signal))
      return new BudgetExhaustedError(this.exhaustedReason() ?? "time budget spent");
    return error;
  }
}
