import type { ComputeMeter } from "./meter.js";
import type { FinishReason, LanguageModel, TokenLogprob } from "./model.js";
import type { Problem } from "./prompt.js";
import type { Rng } from "./rng.js";
import type { AnswerEquivalence, AnswerExtractor, Scorer } from "./scorer.js";
import type { TraceNode, TraceRecorder } from "./trace.js";
import type { Usage } from "./usage.js";

/** One solution a strategy produced, chosen or not. */
export interface Candidate {
  text: string;
  answer: string | null;
  completionTokens: number;
  finishReason: FinishReason;
  /** Scorer value (aggregated over steps), when a scorer ran. */
  score?: number;
  stepScores?: number[];
  /** Confidence signal from the candidate's own token log-probabilities (higher is surer), when used. */
  confidence?: number;
  logprobs?: TokenLogprob[];
}

/** Why a strategy stopped. */
export type StopReason = "completed" | "budget" | "aborted" | "early-stop";

/** Progress a strategy reports while it runs. */
export type StrategyEvent =
  | { type: "candidate"; index: number; candidate: Candidate }
  | { type: "progress"; message: string; completionTokens: number };

/** Generation settings a strategy applies unless its own parameters say otherwise. */
export interface GenerationDefaults {
  maxTokens: number;
  /** Stop strings that end a whole solution (not a step). */
  stop?: string[];
  /** Delimiter between reasoning steps, for step-level strategies and process scorers. */
  stepDelimiter: string;
}

/**
 * Whether a solution's text so far is complete: it holds its task's final form — a stated math answer,
 * an `A:` line, a closed code block. Step-level strategies end a solution at the first step after
 * which it holds; the model's own end of text and the token limit end a solution whatever it says.
 * Tasks supply it (src/tasks/completion.ts); strategies never assume a format.
 */
export type CompleteSolutionTest = (solution: string) => boolean;

/** Everything a strategy may use. The model and scorer are metered: usage is counted for it. */
export interface StrategyContext {
  model: LanguageModel;
  /**
   * Model that judge layers (rank, fuse, critique) ask; they use `model` when it is absent. Its
   * usage is counted with the scorers' (`scorerUsage`).
   */
  judge?: LanguageModel;
  scorer?: Scorer;
  extractAnswer: AnswerExtractor;
  sameAnswer: AnswerEquivalence;
  /** The task's test of a complete solution (see {@link CompleteSolutionTest}). */
  isCompleteSolution: CompleteSolutionTest;
  rng: Rng;
  seed: number;
  signal?: AbortSignal;
  meter: ComputeMeter;
  trace: TraceRecorder;
  defaults: GenerationDefaults;
  emit(event: StrategyEvent): void;
}

/** What a strategy returns; {@link StrategyResult} adds the accounting. */
export interface StrategyOutcome {
  answer: string | null;
  /** The chosen solution's text (or the composed output). */
  output: string;
  candidates: Candidate[];
  /** Index of the chosen candidate, -1 when none was chosen. */
  chosen: number;
  stopReason: StopReason;
  /** Strategy-level notes for the caller, e.g. what `auto` chose (`meta.allocation`). */
  meta?: Record<string, unknown>;
}

/** A meta-generator: composes a model and scorers under a budget into one answer. */
export interface Strategy {
  /** Canonical spec of this configured strategy, e.g. `self-consistency:n=16,temperature=0.8`. */
  readonly spec: string;
  /** True when it cannot run without a scorer. */
  readonly needsScorer: boolean;
  run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome>;
}

/** The full result of one run: outcome, exact usage and the trace. */
export interface StrategyResult extends StrategyOutcome {
  strategy: string;
  /** Policy-model usage; `wallMs` is the whole run's wall time. */
  usage: Usage;
  /** Scorer usage (reward models, judges). */
  scorerUsage: Usage;
  trace: TraceNode[];
}
