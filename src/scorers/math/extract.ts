/**
 * Final-answer extraction from a model's output. Each extractor looks for one convention and returns
 * the answer text (still LaTeX, to be compared by {@link mathEqual}) or null; {@link extractAnswer}
 * tries them in order and returns the first hit. Every extractor takes the *last* occurrence, because
 * models restate the question and revise themselves before committing to an answer.
 */
import type { AnswerExtractor } from "../../core/scorer.js";
import { matchBrace } from "./normalize.js";

/** Names of the built-in extractors. */
export type AnswerExtractorName = "boxed" | "gsm8k" | "answerIs" | "aColon" | "multipleChoice" | "lastNumber";

/**
 * The content of the last complete `\boxed{…}` or `\fbox{…}` (nested braces and `\{ \}` escapes
 * handled; `\boxed 5` without braces too). An unclosed box (output cut off) is skipped in favour of an
 * earlier complete one.
 */
export function extractBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
  const starts: number[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) starts.push(m.index + m[0].length);
  for (let k = starts.length - 1; k >= 0; k--) {
    let i = starts[k]!;
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
    if (text[i] === "{") {
      const end = matchBrace(text, i);
      if (end < 0) continue;
      const inner = text.slice(i + 1, end - 1).trim();
      if (inner !== "") return inner;
    } else if (i > starts[k]!) {
      // `\boxed 5`: TeX takes the next token; take up to whitespace or `$`.
      const m = /^[^\s$]+/.exec(text.slice(i));
      if (m) return m[0].replace(/[.,;]+$/, "");
    }
  }
  return null;
}

/** GSM8K's `#### 42` convention: the rest of the last such line. */
export function extractGsm8k(text: string): string | null {
  const matches = [...text.matchAll(/####\s*([^\n]+)/g)];
  const last = matches[matches.length - 1];
  if (!last) return null;
  const answer = cleanAnswer(last[1]!);
  return answer === "" ? null : answer;
}

/**
 * "The answer is X", "The final answer is X", "Final Answer: X", "Answer: X" (last one; X runs to
 * the end of its sentence or line). Markdown bold and `$` delimiters around X are removed.
 */
export function extractAnswerIs(text: string): string | null {
  const re = /(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?:\*\*)?\s*([^\n]*)/gi;
  const matches = [...text.replace(/\*\*/g, "").matchAll(re)];
  for (let k = matches.length - 1; k >= 0; k--) {
    let answer = matches[k]![1]!;
    // Cut at the end of the sentence: ". " / ".$" and "I hope it is correct" tails (Minerva format).
    answer = answer.replace(/\.\s+[\s\S]*$/, "").replace(/\.$/, "");
    answer = cleanAnswer(answer);
    if (answer !== "") return answer;
  }
  return null;
}

const NUMBER = /(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:\/\d+)?|\.\d+)/g;

/** The number on the last line of the form `A: <number>` (the few-shot "Q: … A: …" format). */
export function extractALine(text: string): string | null {
  const lines = text.split("\n");
  for (let k = lines.length - 1; k >= 0; k--) {
    const m = /^\s*A\s*:\s*(.*)$/.exec(lines[k]!);
    if (!m) continue;
    const numbers = m[1]!.match(NUMBER);
    if (numbers && numbers.length > 0) return numbers[numbers.length - 1]!;
  }
  return null;
}

/**
 * A multiple-choice letter A–J: "answer is (C)", "Answer: C", or a line holding only "(C)" / "C)" /
 * "C.". Returns the bare letter.
 */
export function extractMultipleChoice(text: string): string | null {
  const stated = [
    ...text.matchAll(/answer\s*(?:is|:)?\s*:?\s*(?:\*\*)?\s*\$?\s*(?:\\text\{)?\(?([A-J])\)?(?![A-Za-z])/gi),
  ];
  for (let k = stated.length - 1; k >= 0; k--) {
    const letter = stated[k]![1]!;
    if (letter === letter.toUpperCase()) return letter;
  }
  const alone = [...text.matchAll(/^\s*\(?([A-J])\)?\.?\s*$/gm)];
  const last = alone[alone.length - 1];
  return last ? last[1]! : null;
}

/** The last number in the text (sign, thousands commas, decimals and `a/b` kept): the usual fallback. */
export function extractLastNumber(text: string): string | null {
  const numbers = text.match(NUMBER);
  return numbers && numbers.length > 0 ? numbers[numbers.length - 1]! : null;
}

function cleanAnswer(s: string): string {
  let a = s.trim();
  for (let guard = 0; guard < 4; guard++) {
    const before = a;
    a = a.replace(/^\*+|\*+$/g, "").trim();
    const m = /^\$+([^$]*)\$+[.,;]?$/.exec(a) ?? /^\\\(([\s\S]*)\\\)[.,;]?$/.exec(a);
    if (m) a = m[1]!.trim();
    a = a.replace(/[.,;:]+$/, "").trim();
    if (a === before) break;
  }
  return a;
}

/** The built-in extractors by name. */
export const EXTRACTORS: Readonly<Record<AnswerExtractorName, AnswerExtractor>> = {
  boxed: extractBoxed,
  gsm8k: extractGsm8k,
  answerIs: extractAnswerIs,
  aColon: extractALine,
  multipleChoice: extractMultipleChoice,
  lastNumber: extractLastNumber,
};

/**
 * Default order: explicit conventions first (box, `####`, "the answer is", `A:` line, a stated choice
 * letter), the last number only as a fallback.
 */
export const DEFAULT_EXTRACTION_ORDER: readonly AnswerExtractorName[] = [
  "boxed",
  "gsm8k",
  "answerIs",
  "aColon",
  "multipleChoice",
  "lastNumber",
];

/**
 * Extracts the final answer: the first extractor in `order` (names or functions) that finds one, or
 * null when none does.
 */
export function extractAnswer(
  text: string,
  order: readonly (AnswerExtractorName | AnswerExtractor)[] = DEFAULT_EXTRACTION_ORDER,
): string | null {
  if (typeof text !== "string" || text === "") return null;
  for (const entry of order) {
    const extractor = typeof entry === "function" ? entry : EXTRACTORS[entry];
    if (!extractor) continue;
    const answer = extractor(text);
    if (answer !== null && answer !== "") return answer;
  }
  return null;
}
