/** The records a run store holds, as its readers and writers see them. */
import type { Prompt } from "../core/prompt.js";
import type { Usage } from "../core/usage.js";
import type { EvalProblem } from "./datasets/types.js";
import type { SequenceShape } from "./metrics/flops.js";

/** A problem as stored: the dataset problem plus its position in the run (seeds derive from it). */
export interface StoredProblem extends EvalProblem {
  index: number;
  completed: boolean;
}

/** One sample of a problem's pool. */
export interface SampleRecord {
  problemId: string;
  poolIndex: number;
  /** The seed this sample was drawn with (the request's seed + pool index). */
  seed: number;
  /** Sampling parameters of the pool request (temperature, topP, maxTokens, …). */
  params: Record<string, unknown>;
  /** The prompt exactly as sent. */
  prompt: Prompt;
  text: string;
  finishReason: string;
  completionTokens: number;
  /** Prompt tokens of the request that drew the pool (shared by its samples, as in the OpenAI API). */
  promptTokens: number;
  answer: string | null;
  correct: boolean;
  /** Grader detail (e.g. a code run's status), when there is one. */
  grade?: string;
  /** Scorer value, when the run has a scorer. */
  score?: number;
  stepScores?: number[];
}

/** One strategy's result on a problem. */
export interface ResultRecord {
  problemId: string;
  /** The strategy's canonical spec. */
  strategy: string;
  answer: string | null;
  correct: boolean;
  grade?: string;
  output: string;
  usage: Usage;
  scorerUsage: Usage;
  candidates: number;
  stopReason: string;
  /**
   * Every sequence the policy model decoded for this result, in call order: one per completion (its
   * request's prompt tokens, its generated tokens) and one per scoring call (prompt and continuation,
   * nothing generated). The cost figures are computed from them; absent in stores written before.
   */
  sequences?: SequenceShape[];
}

/** Row counts of a store. */
export interface StoreCounts {
  problems: number;
  completed: number;
  samples: number;
  results: number;
}
