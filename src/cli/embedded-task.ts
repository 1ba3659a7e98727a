import { type Prompt, promptText } from "../core/prompt.js";
import { parseArithQuestion } from "../tasks/arith/index.js";

/**
 * Whether a prompt is a question of the arithmetic task, the only task the embedded default model
 * was trained on. The rule is the task's own question parser ({@link parseArithQuestion}): an optional
 * `Q:`, a whole number, then one or more `+N` / `-N` terms, with surrounding whitespace allowed —
 * `57+38-19+44`, `Q:57+38-19+44\n`. Anything else (words, `*`, parentheses, decimals) is not.
 */
export function isArithPrompt(prompt: Prompt): boolean {
  return parseArithQuestion(promptText(prompt)) !== null;
}

/**
 * The one stderr line that says the embedded model cannot answer what it was asked: it writes an
 * arithmetic-looking solution to any prompt, so its answer to anything else is confident nonsense.
 * `what` names what is not arithmetic: "this prompt is not one", or "3 of 20 problems are not".
 */
export function embeddedTaskNote(what: string): string {
  return (
    `note: the embedded default model only does the arithmetic task (questions like 57+38-19+44); ` +
    `${what}, so its answers mean nothing — pass --model or --base-url for other questions\n`
  );
}
