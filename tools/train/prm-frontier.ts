/**
 * PRM training rows that teach checking a step, not recognising where errors tend to occur: for every
 * gold prefix of a problem's solution, the policy proposes next steps (as step-level search would ask
 * it), each labelled by the exact step verifier, together with the gold step and one corrupted step
 * (a result off by a typical slip). Sibling rows share their prefix and differ only in the last step,
 * so the only way to score them apart is to check that step's arithmetic.
 *
 *   npx tsx tools/train/prm-frontier.ts --split train --levels 1-8 --count 200 --skip 6250 \
 *     --samples 4 --out tools/.work/prm-frontier.jsonl
 *
 * With `--whole N` it also writes N whole policy solutions per problem (source "policy"), labelled the
 * same way, so the PRM also sees complete solutions and the steps after a first error.
 *
 * Rows: `{id, level, question, steps, labels, source, prefix}` — the train_prm.py format.
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { Rng } from "../../src/core/rng.js";
import { embeddedModels } from "../../src/defaults.js";
import {
  type ArithSplit,
  arithSolutionSteps,
  formatArithPrompt,
  generateArithSplit,
  verifyArithSolution,
} from "../../src/tasks/arith/index.js";
import { parseLevels } from "../arith-levels.js";

const opts = new Command()
  .requiredOption("--split <split>", "train | validation | test")
  .requiredOption("--levels <range>", "levels, e.g. 1-8")
  .requiredOption("--count <n>", "problems per level", Number)
  .requiredOption("--out <file>", "output JSONL file")
  .option("--skip <n>", "problems to skip per level", Number, 0)
  .option("--samples <n>", "policy proposals per prefix", Number, 4)
  .option("--temperature <t>", "sampling temperature of the proposals", Number, 1)
  .option("--whole <n>", "whole policy solutions per problem, half at T=0.7, half at T=1", Number, 0)
  .option("--seed <n>", "seed", Number, 1)
  .parse()
  .opts<{
    split: string;
    levels: string;
    count: number;
    out: string;
    skip: number;
    samples: number;
    temperature: number;
    whole: number;
    seed: number;
  }>();

const levels = parseLevels(opts.levels);
const rng = new Rng(opts.seed);
const model = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 32, gpu: false });

/** A wrong version of a step `a±b=c`: c off by a slip the policy makes (±1, ±10, ±100, a digit). */
function corrupt(step: string): string {
  const m = /^(.*=)(-?\d+)$/.exec(step);
  if (!m) return step;
  const c = Number(m[2]);
  const slips = [1, -1, 10, -10, 100, -100, 2, -2];
  let wrong = c + slips[rng.int(slips.length)]!;
  if (rng.next() < 0.3) {
    const digits = String(Math.abs(c)).split("");
    const at = rng.int(digits.length);
    digits[at] = String((Number(digits[at]) + 1 + rng.int(9)) % 10);
    wrong = Number(digits.join("")) * Math.sign(c || 1);
  }
  return wrong === c ? `${m[1]}${c + 1}` : `${m[1]}${wrong}`;
}

const rows: string[] = [];
let proposals = 0;
let wrongProposals = 0;
const started = Date.now();
for (const level of levels) {
  const problems = generateArithSplit(opts.split as ArithSplit, level, opts.skip + opts.count).slice(
    opts.skip,
  );
  // A batch of problems at a time: every prefix of every problem in one round of requests.
  for (let b = 0; b < problems.length; b += 16) {
    const batch = problems.slice(b, b + 16);
    await Promise.all(
      batch.map(async (p) => {
        const gold = arithSolutionSteps(p);
        for (const [t, n] of [
          [0.7, Math.ceil(opts.whole / 2)],
          [1, Math.floor(opts.whole / 2)],
        ] as const) {
          if (n === 0) continue;
          const whole = await model.complete({
            prompt: formatArithPrompt(p),
            n,
            temperature: t,
            maxTokens: 160,
            seed: rng.seed(),
          });
          for (const c of whole.completions) {
            const steps = c.text
              .split("\n")
              .map((l) => l.trim())
              .filter((l) => l !== "");
            if (steps.length === 0 || steps.some((l) => l.includes("#"))) continue;
            const verdict = verifyArithSolution(p.question, c.text);
            const labels = steps.map((_, k) => verdict.steps[k]?.correct ?? false);
            rows.push(
              JSON.stringify({ id: p.id, level, question: p.question, steps, labels, source: "policy" }),
            );
          }
        }
        for (let j = 0; j < gold.length; j++) {
          const prefix = gold.slice(0, j);
          const response = await model.complete({
            prompt: formatArithPrompt(p),
            ...(j > 0 ? { prefix: prefix.map((s) => `${s}\n`).join("") } : {}),
            n: opts.samples,
            temperature: opts.temperature,
            maxTokens: 24,
            stop: ["\n"],
            seed: rng.seed(),
          });
          const candidates = new Set([gold[j]!, corrupt(gold[j]!)]);
          for (const c of response.completions) {
            const step = c.text.trim();
            if (step && !step.includes("#")) {
              candidates.add(step);
              proposals++;
              if (step !== gold[j]) wrongProposals++;
            }
          }
          for (const step of candidates) {
            const steps = [...prefix, step];
            const verdict = verifyArithSolution(p.question, steps.join("\n"));
            const labels = steps.map((_, k) => verdict.steps[k]?.correct ?? false);
            rows.push(
              JSON.stringify({
                id: p.id,
                level,
                question: p.question,
                steps,
                labels,
                source: "frontier",
                prefix: j,
              }),
            );
          }
        }
      }),
    );
    process.stderr.write(
      `\rlevel ${level}: ${Math.min(b + 16, problems.length)}/${problems.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}
process.stderr.write("\n");
writeFileSync(opts.out, `${rows.join("\n")}\n`);
console.error(
  `${rows.length} rows → ${opts.out}; ${proposals} policy proposals, ${((100 * wrongProposals) / Math.max(1, proposals)).toFixed(1)}% not the gold step`,
);
await model.close();
