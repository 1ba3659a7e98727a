import { parseArithQuestion } from "./format.js";
import { type ArithProblem, applyArithOp } from "./problem.js";

/** Verdict on one solution line. `correct` is prefix-correctness: this step and all before it. */
export interface ArithStepVerdict {
  text: string;
  correct: boolean;
  /** Why the step is wrong; set on every incorrect step. */
  reason?: string;
}

/** Verdict on a whole solution. */
export interface ArithVerdict {
  /** Every step correct and the solution ends with the right `A:` line. */
  correct: boolean;
  steps: ArithStepVerdict[];
  /** The final answer the solution states (last `A:` line), or null. */
  answer: number | null;
}

const STEP_RE = /^(-?\d+)([+-])(\d+)=(-?\d+)$/;
const ANSWER_RE = /^A:\s*(-?\d+)$/;
const AFTER_ERROR = "follows an incorrect step";

/** Judges the first wrong step's error; null when the step is right given a correct prefix. */
function stepError(p: ArithProblem, index: number, value: number, text: string): string | null {
  const answer = ANSWER_RE.exec(text);
  if (answer) {
    if (index < p.ops.length) return `answer given after ${index} of ${p.ops.length} operations`;
    if (index > p.ops.length) return "text after the final answer";
    return Number.parseInt(answer[1]!, 10) === value ? null : `final answer should be ${value}`;
  }
  if (index >= p.ops.length)
    return index === p.ops.length ? "expected the A: line" : "text after the final answer";
  const m = STEP_RE.exec(text);
  if (!m) return "malformed step";
  const op = p.ops[index]!;
  const [left, sign, operand, right] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])];
  if (left !== value || sign !== op.op || operand !== op.value) {
    // A step that applies a later operation (or the right one to a wrong value) lands here.
    return `left side should be ${value}${op.op}${op.value}`;
  }
  const expected = applyArithOp(value, op);
  return right === expected ? null : `wrong arithmetic: ${left}${sign}${operand}=${expected}`;
}

/**
 * Per-step prefix-correctness of a possibly partial solution. Step `i` (0-based) must be
 * `prev<op><value>=<result>` for operation `i` of the question, where `prev` is the running value
 * after the correct earlier steps; after the last operation comes `A:<value>`. Lines are compared
 * after trimming surrounding whitespace. Throws on an unparsable question.
 */
export function verifyArithSteps(question: string, steps: readonly string[]): ArithStepVerdict[] {
  const p = parseArithQuestion(question);
  if (!p) throw new Error(`not an arithmetic question: ${JSON.stringify(question)}`);
  let value = p.start;
  let ok = true;
  return steps.map((raw, index) => {
    const text = raw.trim();
    if (!ok) return { text, correct: false, reason: AFTER_ERROR };
    const error = stepError(p, index, value, text);
    if (error !== null) {
      ok = false;
      return { text, correct: false, reason: error };
    }
    if (index < p.ops.length) value = applyArithOp(value, p.ops[index]!);
    return { text, correct: true };
  });
}

/** Solution lines as the verifier and the step scorers see them: non-empty, trimmed. */
export function splitArithSteps(solutionText: string): string[] {
  return solutionText
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * The exact verifier: checks every step of `solutionText` against `question`. Correct means all
 * steps right, nothing after the `A:` line, and the `A:` line present.
 */
export function verifyArithSolution(question: string, solutionText: string): ArithVerdict {
  const p = parseArithQuestion(question);
  if (!p) throw new Error(`not an arithmetic question: ${JSON.stringify(question)}`);
  const steps = verifyArithSteps(question, splitArithSteps(solutionText));
  const extracted = extractArithAnswer(solutionText);
  const complete = steps.length === p.ops.length + 1;
  return {
    correct: complete && steps.every((s) => s.correct),
    steps,
    answer: extracted === null ? null : Number.parseInt(extracted, 10),
  };
}

/** The arithmetic task's completeness test: the solution has an `A:<number>` line. */
export function statesArithAnswer(solution: string): boolean {
  return extractArithAnswer(solution) !== null;
}

/** The integer of the last `A:<number>` line (normalised, e.g. `"063"` → `"63"`), or null. */
export function extractArithAnswer(text: string): string | null {
  const matches = [...text.matchAll(/^[ \t]*A:[ \t]*(-?\d+)[ \t]*\r?$/gm)];
  const last = matches.at(-1);
  return last ? String(Number.parseInt(last[1]!, 10)) : null;
}
