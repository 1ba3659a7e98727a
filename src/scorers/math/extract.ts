/**
 * Final-answer extraction from a model's output. Each extractor looks for one convention and returns
 * the answer text (still LaTeX, to be compared by {@link mathEqual}) or null; {@link extractAnswer}
 * tries them in order and returns the first hit. Every extractor takes the *last* occurrence, because
 * models restate the question and revise themselves before committing to an answer.
 *
 * The default order follows how Math-Verify ranks its candidates: a box, then an explicit "final answer
 * is" statement (the Minerva format first), then "answer:" phrasings, then an output that is itself
 * just an answer, and last the rightmost math span or number of the text. Text after an end-of-turn
 * token (`<|im_start|>`, `</s>`, …) is ignored.
 *
 * This module holds the registry of extractors, their default order and the fallbacks; the
 * conventions live beside it: extract-boxed.ts, extract-stated.ts (GSM8K, Minerva, "the answer is",
 * `A:`), extract-choice.ts, with extract-spans.ts (math spans) and extract-text.ts (numbers, prose,
 * clean-up) under them.
 */
import type { AnswerExtractor } from "../../core/scorer.js";
import { extractBoxed } from "./extract-boxed.js";
import { extractChoice, extractMultipleChoice } from "./extract-choice.js";
import { lastMathOrNumber } from "./extract-spans.js";
import { extractALine, extractAnswerIs, extractGsm8k, extractMinerva } from "./extract-stated.js";
import { cleanAnswer, cutAtEndOfTurn, isProse, NUMBER } from "./extract-text.js";

export { extractBoxed } from "./extract-boxed.js";
export { extractChoice, extractMultipleChoice } from "./extract-choice.js";
export { extractALine, extractAnswerIs, extractGsm8k, extractMinerva } from "./extract-stated.js";
export { cutAtEndOfTurn } from "./extract-text.js";

/** Names of the built-in extractors. */
export type AnswerExtractorName =
  | "boxed"
  | "gsm8k"
  | "minerva"
  | "answerIs"
  | "aColon"
  | "multipleChoice"
  | "choice"
  | "wholeAnswer"
  | "lastMath"
  | "lastNumber";

/** The last number in the text (sign, thousands commas, decimals and `a/b` kept): the usual fallback. */
export function extractLastNumber(text: string): string | null {
  const numbers = text.match(NUMBER);
  return numbers && numbers.length > 0 ? numbers[numbers.length - 1]!.trim() : null;
}

/** The last math span or number of the text, whichever ends last. */
export function extractLastMath(text: string): string | null {
  return lastMathOrNumber(text);
}

/**
 * The whole output when it is nothing but an answer (`\frac{1}{3}`, `$x = 5$`, `1,000.99€`, `28
 * percent`): one line, short, and not prose.
 */
export function extractWholeAnswer(text: string): string | null {
  const t = cutAtEndOfTurn(text).trim();
  if (t === "" || t.length > 300 || t.includes("\n")) return null;
  // Prose is not an answer, except one or two words without digits (`No solution`, `odd`).
  if (isProse(t) && (/\d/.test(t) || t.split(/\s+/).length > 2 || /[.!?]$/.test(t))) return null;
  const answer = cleanAnswer(t);
  return answer === "" ? null : answer;
}

/** The built-in extractors by name (`choice` with the default letters A–D). */
export const EXTRACTORS: Readonly<Record<AnswerExtractorName, AnswerExtractor>> = {
  boxed: extractBoxed,
  gsm8k: extractGsm8k,
  minerva: extractMinerva,
  answerIs: extractAnswerIs,
  aColon: extractALine,
  multipleChoice: extractMultipleChoice,
  choice: (text) => extractChoice(text),
  wholeAnswer: extractWholeAnswer,
  lastMath: extractLastMath,
  lastNumber: extractLastNumber,
};

/**
 * Default order: explicit conventions first (box, `####`, the Minerva sentence, "the answer is", `A:`
 * line, a stated choice letter), then an output that is only an answer, then the last math span or
 * number.
 */
export const DEFAULT_EXTRACTION_ORDER: readonly AnswerExtractorName[] = [
  "boxed",
  "gsm8k",
  "minerva",
  "answerIs",
  "aColon",
  "multipleChoice",
  "wholeAnswer",
  "lastMath",
];

/**
 * Extracts the final answer: the first extractor in `order` (names or functions) that finds one, or
 * null when none does. Text after an end-of-turn token is dropped first.
 */
export function extractAnswer(
  text: string,
  order: readonly (AnswerExtractorName | AnswerExtractor)[] = DEFAULT_EXTRACTION_ORDER,
): string | null {
  if (typeof text !== "string" || text === "") return null;
  const t = cutAtEndOfTurn(text);
  for (const entry of order) {
    const extractor = typeof entry === "function" ? entry : EXTRACTORS[entry];
    if (!extractor) continue;
    const answer = extractor(t);
    if (answer !== null && answer !== "") return answer;
  }
  return null;
}
