/**
 * Labels sampled solutions with the task's exact step verifier, so the PRM learns the same notion of
 * a correct step that the library's verifier scorer uses.
 *
 *   npx tsx tools/train/label.ts IN.jsonl OUT.jsonl
 *
 * Input rows `{id, level, question, solution, ...}`; output rows add `steps` (the solution's
 * non-empty lines, as the PRM sees them), `labels` (per-step prefix-correctness) and `correct`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { splitArithSteps, verifyArithSolution } from "../../src/tasks/arith/index.js";

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error("usage: label.ts IN.jsonl OUT.jsonl");
const rows = readFileSync(input, "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as { question: string; solution: string });
let correct = 0;
const out = rows.map((row) => {
  const verdict = verifyArithSolution(row.question, row.solution);
  if (verdict.correct) correct++;
  const steps = splitArithSteps(row.solution);
  return JSON.stringify({
    ...row,
    steps,
    labels: verdict.steps.map((s) => s.correct),
    correct: verdict.correct,
  });
});
writeFileSync(output, `${out.join("\n")}\n`);
console.error(`labelled ${rows.length} solutions (${correct} fully correct) → ${output}`);
