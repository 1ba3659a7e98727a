/**
 * Grading a model's output against a gold answer: extract the final answer, then compare it with
 * {@link mathEqual}. Pure and synchronous; safe to call on untrusted text (bounded time, never throws).
 */
import type { AnswerExtractor } from "../../core/scorer.js";
import { type MathEqualOptions, mathEqual } from "./equivalence.js";
import { type AnswerExtractorName, DEFAULT_EXTRACTION_ORDER, extractAnswer } from "./extract.js";

/** Options of {@link MathAnswerGrader}. */
export interface MathAnswerGraderOptions {
  /** Extractors to try, in order (default {@link DEFAULT_EXTRACTION_ORDER}). */
  extraction?: readonly (AnswerExtractorName | AnswerExtractor)[];
  /** Equivalence options (tolerances and limits). */
  equivalence?: MathEqualOptions;
}

/** The outcome of grading one output. */
export interface MathGrade {
  /** Whether the extracted answer equals the gold answer. */
  correct: boolean;
  /** The extracted answer, or null when the output has none (then `correct` is false). */
  extracted: string | null;
}

/** Grades model outputs on math problems (MATH, GSM8K, AIME style) against gold answers. */
export class MathAnswerGrader {
  private readonly order: readonly (AnswerExtractorName | AnswerExtractor)[];
  private readonly equivalence: MathEqualOptions;

  constructor(options: MathAnswerGraderOptions = {}) {
    this.order = options.extraction ?? DEFAULT_EXTRACTION_ORDER;
    this.equivalence = options.equivalence ?? {};
  }

  /** Extracts the final answer from `text` and compares it with `gold`. */
  grade(gold: string, text: string): MathGrade {
    const extracted = extractAnswer(text, this.order);
    if (extracted === null) return { correct: false, extracted: null };
    return { correct: mathEqual(gold, extracted, this.equivalence), extracted };
  }

  /** Whether two already-extracted answers are equivalent. */
  equal(gold: string, pred: string): boolean {
    return mathEqual(gold, pred, this.equivalence);
  }

  /** The extracted answer alone (null when none). */
  extract(text: string): string | null {
    return extractAnswer(text, this.order);
  }
}
