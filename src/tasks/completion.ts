/**
 * The completeness tests tasks give step-level strategies (`RunOptions.isCompleteSolution`): whether
 * a solution's text so far holds the task's final form, so that search ends the solution there.
 */
import { EXTRACTORS } from "../scorers/math/extract.js";

/**
 * Math tasks: the text states a final answer in one of the explicit forms (`\boxed{}`, `#### n`, "The
 * answer is", an `A:` line). The last-number fallback of answer extraction is left out on purpose:
 * nearly every step holds a number.
 */
export function statesMathAnswer(solution: string): boolean {
  return (
    EXTRACTORS.boxed(solution) !== null ||
    EXTRACTORS.gsm8k(solution) !== null ||
    EXTRACTORS.answerIs(solution) !== null ||
    EXTRACTORS.aColon(solution) !== null
  );
}

/** An opening fence line (three backticks, an optional language), some lines, a closing fence line. */
const CLOSED_CODE_BLOCK = /^[ \t]*```[^`\n]*\n[\s\S]*?^[ \t]*```[ \t]*$/m;

/**
 * Code tasks: the text holds a closed fenced code block, the program the task's tests run. Text that
 * a model writes after the block (an explanation) is not generated. A solution without fences (a raw
 * function body) ends where the model ends it.
 */
export function closesCodeBlock(solution: string): boolean {
  return CLOSED_CODE_BLOCK.test(solution);
}
