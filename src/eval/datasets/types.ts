import type { Prompt } from "../../core/prompt.js";

/** How a dataset's outputs are graded. */
export type GradingKind = "arith" | "math" | "code";

/**
 * One evaluation problem, normalised from any dataset. It is a {@link Problem} (strategies get it
 * as is); `gold` and `meta` are only read by grading.
 */
export interface EvalProblem {
  /** Stable id, unique within the dataset (e.g. `gsm8k-test-17`, `HumanEval/0`, `test-L3-12`). */
  id: string;
  /** What the model is asked: chat messages for a chat model (see `rawPrompt` for base models). */
  prompt: Prompt;
  /**
   * The prompt for a model without a chat template: raw text the model continues. Absent when
   * `prompt` is already raw text.
   */
  rawPrompt?: string;
  /** Reference answer: a number or LaTeX expression; for code datasets, the reference solution. */
  gold: string;
  /** Difficulty level, when the dataset has one (arith: operations 1–8; MATH-500: 1–5). */
  level?: number;
  /** Dataset fields: subject, tests and entry point of code problems, the source row's id, … */
  meta: Record<string, unknown>;
}

/** A loaded dataset: its problems and how to grade them. */
export interface LoadedDataset {
  /** The spec it was loaded from, normalised (e.g. `gsm8k:test:20`). */
  spec: string;
  name: string;
  split: string;
  grading: GradingKind;
  problems: EvalProblem[];
}
