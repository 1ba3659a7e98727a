/**
 * Answers stated in words: GSM8K's `#### 42`, the Minerva sentence, "the (final) answer is X" and its
 * variants, and the `A: 42` line of few-shot prompts.
 */
import { joinSpans, lastMathOrNumber, mathSpanAt } from "./extract-spans.js";
import { cleanAnswer, isProse, LEADING_NUMBER, NUMBER } from "./extract-text.js";

/** GSM8K's `#### 42` convention: the rest of the last such line. */
export function extractGsm8k(text: string): string | null {
  const matches = [...text.matchAll(/####\s*([^\n]+)/g)];
  const last = matches[matches.length - 1];
  if (!last) return null;
  const answer = cleanAnswer(last[1]!);
  return answer === "" ? null : answer;
}

/**
 * The Minerva format of the standard MATH prompt: `Final Answer: The final answer is X. I hope it is
 * correct.` (the last one).
 */
export function extractMinerva(text: string): string | null {
  const re = /final\s+answer\s+is\s*:?\s*([\s\S]{1,500}?)\s*\.?\s*I\s+hope\s+it\s+is\s+correct/gi;
  const matches = [...text.matchAll(re)];
  for (let k = matches.length - 1; k >= 0; k--) {
    const answer = cleanAnswer(matches[k]![1]!);
    if (answer !== "") return answer;
  }
  return null;
}

/**
 * Anchors of a stated answer, strongest first: "final answer … is X" (within 100 characters), "Final
 * Answer:" or a "Final Answer" heading, then "answer: X", "answer = X", "the answer (to …) is X".
 */
const ANSWER_ANCHORS: readonly RegExp[] = [
  /final\s+answer\b(?:[^\n.]|\.(?=\d)){0,100}?\s(?:is|was|are)\s*:?/gi,
  /final\s+answer\s*(?::|\n)/gi,
  /\banswer\s*[:=]/gi,
  /\banswer(?:\s+(?:to|for)\b[^.\n]{0,60}?)?\s+(?:is|was)\s*:?/gi,
];

/**
 * "The answer is X", "The final answer is X", "Final Answer: X", "Answer: X" (the last statement of the
 * strongest anchor present). X is the math span that follows, or the rest of the sentence when that is
 * an answer on its own (`3.5 dollars`, `Monday`), or the number that opens a sentence of prose (`12
 * since we have 3 groups of 4`), or — in prose such as `Jane started growing Sphere 3 hours ago` —
 * the last number or math span of the sentence. Markdown bold is ignored.
 */
export function extractAnswerIs(text: string): string | null {
  const plain = text.replace(/\*\*/g, "");
  for (const anchor of ANSWER_ANCHORS) {
    const matches = [...plain.matchAll(anchor)];
    for (let k = matches.length - 1; k >= 0; k--) {
      const m = matches[k]!;
      const answer = answerAt(plain, m.index + m[0].length);
      if (answer !== null) return answer;
    }
  }
  return null;
}

/** The answer that starts at `from` (just after an anchor), or null. */
function answerAt(text: string, from: number): string | null {
  let i = from;
  while (i < text.length && /[\s"'“”:#]/.test(text[i]!)) i++;
  const span = mathSpanAt(text, i);
  if (span) {
    const answer = joinSpans(text, [span]);
    if (answer !== "") return answer;
  }
  const rest = text.slice(i, i + 400);
  // The sentence: up to a full stop that is not a decimal point, or the end of the line.
  const sentence = cleanAnswer(/^[^\n]*?(?=\.(?:\s|$)|\n|$)/.exec(rest)![0]);
  if (sentence === "") return null;
  if (!isProse(sentence)) return sentence;
  // `12 since we have 3 groups of 4`: a number right after the anchor is the answer.
  const leading = LEADING_NUMBER.exec(sentence);
  if (leading) return leading[0].trim();
  const last = lastMathOrNumber(sentence);
  if (last !== null) return last;
  return sentence.split(/\s+/).length <= 6 ? sentence : null;
}

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
