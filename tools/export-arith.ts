/**
 * Writes arithmetic problems as JSONL `{id, level, prompt, solution, answer}` — the training and
 * evaluation data of the embedded models, produced by the task's own generator.
 *
 *   npx tsx tools/export-arith.ts --split train --levels 1-6 --count 5000 --out FILE.jsonl
 *
 * `--count` is per level. `--skip` drops the first problems of each level, so a later data set of the
 * same split (e.g. the PRM's problems) does not repeat an earlier one (the policy's).
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import {
  type ArithSplit,
  formatArithPrompt,
  formatArithSolution,
  generateArithSplit,
} from "../src/tasks/arith/index.js";
import { parseLevels } from "./arith-levels.js";

const opts = new Command()
  .requiredOption("--split <split>", "train | validation | test")
  .requiredOption("--levels <range>", "levels, e.g. 1-6")
  .requiredOption("--count <n>", "problems per level", Number)
  .requiredOption("--out <file>", "output JSONL file")
  .option("--skip <n>", "problems to skip per level", Number, 0)
  .parse()
  .opts<{ split: string; levels: string; count: number; out: string; skip: number }>();

if (!["train", "validation", "test"].includes(opts.split)) throw new Error(`bad --split ${opts.split}`);
const lines: string[] = [];
for (const level of parseLevels(opts.levels)) {
  const problems = generateArithSplit(opts.split as ArithSplit, level, opts.skip + opts.count);
  for (const p of problems.slice(opts.skip)) {
    const record = {
      id: p.id,
      level: p.level,
      prompt: formatArithPrompt(p),
      solution: formatArithSolution(p),
      answer: String(p.answer),
    };
    lines.push(JSON.stringify(record));
  }
}
writeFileSync(opts.out, `${lines.join("\n")}\n`);
console.error(`wrote ${lines.length} problems to ${opts.out}`);
