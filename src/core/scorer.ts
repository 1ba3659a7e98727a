import type { Problem } from "./prompt.js";
import type { Usage } from "./usage.js";

/** The score of one (partial or complete) solution. Higher is better. */
export interface SolutionScore {
  /** The solution's score, aggregated over its steps for process scorers. */
  value: number;
  /** Per-step scores, for process reward models and step verifiers. */
  steps?: number[];
}

/** Scores returned for one batch of solutions, with the compute the scorer spent. */
export interface ScoreResult {
  scores: SolutionScore[];
  usage: Usage;
}

/**
 * Rates solutions of a problem: reward models (process or outcome), programmatic verifiers, judges,
 * confidence signals. Solutions are the assistant's text, complete or partial (step-level search).
 */
export interface Scorer {
  readonly id: string;
  score(problem: Problem, solutions: string[], options?: { signal?: AbortSignal }): Promise<ScoreResult>;
  close?(): Promise<void>;
}

/** How per-step scores become one score. */
export type StepAggregation = "last" | "min" | "product" | "mean";

/** Aggregates per-step scores; an empty list scores 0. */
export function aggregateSteps(steps: readonly number[], how: StepAggregation): number {
  if (steps.length === 0) return 0;
  switch (how) {
    case "last":
      return steps[steps.length - 1]!;
    case "min":
      return Math.min(...steps);
    case "product":
      return steps.reduce((p, s) => p * s, 1);
    case "mean":
      return steps.reduce((p, s) => p + s, 0) / steps.length;
  }
}

/** Extracts a final answer from a solution's text; `null` when there is none. */
export type AnswerExtractor = (text: string) => string | null;

/** Decides whether two extracted answers are the same answer (e.g. `0.5` and `1/2`). */
export type AnswerEquivalence = (a: string, b: string) => boolean;
