import { type ArithOp, type ArithProblem, applyArithOp, arithQuestion } from "./problem.js";

/** The prompt the models see: `"Q:96-7+32-58\n"`. */
export function formatArithPrompt(p: Pick<ArithProblem, "question">): string {
  return `Q:${p.question}\n`;
}

/** The gold solution lines without newlines, e.g. `["96-7=89", "89+32=121", "A:121"]`. */
export function arithSolutionSteps(p: Pick<ArithProblem, "start" | "ops">): string[] {
  const steps: string[] = [];
  let value = p.start;
  for (const op of p.ops) {
    const next = applyArithOp(value, op);
    steps.push(`${value}${op.op}${op.value}=${next}`);
    value = next;
  }
  steps.push(`A:${value}`);
  return steps;
}

/** The gold solution text, one step per line, each line ending in a newline. */
export function formatArithSolution(p: Pick<ArithProblem, "start" | "ops">): string {
  return arithSolutionSteps(p)
    .map((s) => `${s}\n`)
    .join("");
}

const QUESTION_RE = /^(?:Q:)?\s*(\d+)((?:[+-]\d+)+)\s*$/;

/**
 * Parses `"Q:96-7+32-58"` or `"96-7+32-58"` (surrounding whitespace and a trailing newline allowed)
 * into a problem; null when the text is not such an expression. Number ranges are not enforced, so
 * hand-written questions outside the generator's ranges still parse (their values may go negative).
 */
export function parseArithQuestion(text: string): ArithProblem | null {
  const m = QUESTION_RE.exec(text.trim());
  if (!m) return null;
  const start = Number.parseInt(m[1]!, 10);
  const ops: ArithOp[] = [...m[2]!.matchAll(/([+-])(\d+)/g)].map((g) => ({
    op: g[1] as "+" | "-",
    value: Number.parseInt(g[2]!, 10),
  }));
  const answer = ops.reduce(applyArithOp, start);
  const question = arithQuestion(start, ops);
  return { id: `arith-L${ops.length}-${question}`, level: ops.length, question, start, ops, answer };
}
