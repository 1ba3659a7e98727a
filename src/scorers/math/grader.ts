/**
 * Grading a model's output against a gold answer: extract the final answer, then compare it with
 * {@link mathEqual}. Pure and synchronous; safe to call on untrusted text (bounded time, never throws).
 */
import type { AnswerExtractor } from "../../core/scorer.js";
import { type MathEqualOptions, mathEqual } from "./equivalence.js";
import {
  type AnswerExtractorName,
  DEFAULT_EXTRACTION_ORDER,
  extractAnswer,
  extractChoice,
} from "./extract.js";

/**
 * When outputs are read as multiple-choice letters: `auto` when the gold answer is a letter (`C`,
 * `(C)`, `\text{(C)}`), `always`, or `never`.
 */
export type MultipleChoiceMode = "auto" | "always" | "never";

/** Options of {@link MathAnswerGrader}. */
export interface MathAnswerGraderOptions {
  /** Extractors to try, in order (default {@link DEFAULT_EXTRACTION_ORDER}). */
  extraction?: readonly (AnswerExtractorName | AnswerExtractor)[];
  /** Equivalence options (tolerances, limits, conventions switched off). */
  equivalence?: MathEqualOptions;
  /** Multiple-choice reading (default `auto`). */
  multipleChoice?: MultipleChoiceMode;
  /**
   * The choice letters (default `ABCD`, extended up to the gold's letter when it is later, e.g. `E`).
   */
  choices?: string;
}

/** The outcome of grading one output. */
export interface MathGrade {
  /** Whether the extracted answer equals the gold answer. */
  correct: boolean;
  /** The extracted answer, or null when the output has none (then `correct` is false). */
  extracted: string | null;
}

/** The letter of a gold answer written as a choice (`C`, `(C)`, `\text{(C)}`, `$\textbf{C}$`), else null. */
export function goldChoiceLetter(gold: string): string | null {
  const m = /^\$?\s*(?:\\text(?:bf)?\s*\{\s*)?\(?\s*([A-J])\s*\)?\s*\}?\s*\$?$/.exec(gold.trim());
  return m ? m[1]! : null;
}

function choiceLetters(base: string, gold: string | null): string {
  if (gold === null || base.includes(gold)) return base;
  let out = base;
  for (let c = "A".charCodeAt(0); c <= gold.charCodeAt(0); c++) {
    const l = String.fromCharCode(c);
    if (!out.includes(l)) out += l;
  }
  return out;
}

/** Grades model outputs on math problems (MATH, GSM8K, AIME style) against gold answers. */
export class MathAnswerGrader {
  private readonly order: readonly (AnswerExtractorName | AnswerExtractor)[];
  private readonly equivalence: MathEqualOptions;
  private readonly multipleChoice: MultipleChoiceMode;
  private readonly choices: string;

  constructor(options: MathAnswerGraderOptions = {}) {
    this.order = options.extraction ?? DEFAULT_EXTRACTION_ORDER;
    this.equivalence = options.equivalence ?? {};
    this.multipleChoice = options.multipleChoice ?? "auto";
    this.choices = (options.choices ?? "ABCD").toUpperCase();
  }

  /**
   * Extracts the final answer from `text` and compares it with `gold`. A choice gold (or `always`)
   * reads a choice letter first and falls back to the usual extraction.
   */
  grade(gold: string, text: string): MathGrade {
    const extracted = this.extractFor(gold, text);
    if (extracted === null) return { correct: false, extracted: null };
    return { correct: mathEqual(gold, extracted, this.equivalence), extracted };
  }

  /** The answer `grade` would compare with `gold` (null when none). */
  extractFor(gold: string, text: string): string | null {
    if (typeof text !== "string" || text === "") return null;
    const letter = typeof gold === "string" ? goldChoiceLetter(gold) : null;
    if (this.multipleChoice === "always" || (this.multipleChoice === "auto" && letter !== null)) {
      const choice = extractChoice(text, choiceLetters(this.choices, letter));
      if (choice !== null) return choice;
    }
    return extractAnswer(text, this.order);
  }

  /** Whether two already-extracted answers are equivalent. */
  equal(gold: string, pred: string): boolean {
    return mathEqual(gold, pred, this.equivalence);
  }

  /** The extracted answer alone, without a gold (null when none); `always` reads a choice letter. */
  extract(text: string): string | null {
    if (this.multipleChoice === "always") {
      const choice = extractChoice(text, this.choices);
      if (choice !== null) return choice;
    }
    return extractAnswer(text, this.order);
  }
}
