/**
 * How well a step scorer tells a right step from a wrong one after the same steps — the choice every
 * step-level search asks it to make. For test-split problems (levels 3 and 5 by default), at every
 * step of the gold solution it scores the gold step and five hand-made slips of its result (±1, ±10,
 * and a changed last digit) after the same gold prefix, and prints how often the gold step scores
 * higher (ties count half), overall and per slip.
 *
 *   npx tsx bench/step-preference.ts [--scorer prm] [--scorer genprm] [--problems 25] [--level 3 --level 5]
 */
import { parseArgs } from "node:util";
import { scorers } from "../src/scorers/registry.js";
import { arithSolutionSteps, formatArithPrompt, generateArithSplit } from "../src/tasks/arith/index.js";

const { values } = parseArgs({
  options: {
    scorer: { type: "string", multiple: true },
    problems: { type: "string", default: "25" },
    level: { type: "string", multiple: true },
  },
});
const specs = values.scorer ?? ["prm", "genprm", "likelihood", "verifier:arith"];
const levels = (values.level ?? ["3", "5"]).map(Number);
const count = Number(values.problems);

const SLIPS: Record<string, (v: number) => number> = {
  "+1": (v) => v + 1,
  "-1": (v) => v - 1,
  "+10": (v) => v + 10,
  "-10": (v) => v - 10,
  "last digit": (v) => Math.trunc(v / 10) * 10 + ((Math.abs(v % 10) + 3) % 10) * Math.sign(v || 1),
};

console.log(
  `levels ${levels.join(", ")} × ${count} test problems; every gold step against 5 slips of its result\n`,
);
console.log(
  ["scorer".padEnd(24), "all".padStart(7), ...Object.keys(SLIPS).map((k) => k.padStart(11))].join(" "),
);
for (const spec of specs) {
  const scorer = await scorers.create(spec).open();
  const wins: Record<string, number[]> = Object.fromEntries(Object.keys(SLIPS).map((k) => [k, []]));
  for (const level of levels) {
    for (const p of generateArithSplit("test", level, count)) {
      const steps = arithSolutionSteps(p);
      for (let j = 0; j < steps.length - 1; j++) {
        const prefix = steps
          .slice(0, j)
          .map((s) => `${s}\n`)
          .join("");
        const m = /^(.*=)(-?\d+)$/.exec(steps[j]!)!;
        const value = Number(m[2]);
        const texts = [
          `${prefix}${steps[j]}\n`,
          ...Object.values(SLIPS).map((slip) => `${prefix}${m[1]}${slip(value)}\n`),
        ];
        const { scores } = await scorer.score({ prompt: formatArithPrompt(p) }, texts);
        const last = (k: number) => scores[k]!.steps?.at(-1) ?? scores[k]!.value;
        Object.keys(SLIPS).forEach((kind, i) => {
          const gold = last(0);
          const slip = last(i + 1);
          wins[kind]!.push(gold > slip ? 1 : gold === slip ? 0.5 : 0);
        });
      }
    }
  }
  await scorer.close?.();
  const share = (xs: number[]) => `${((100 * xs.reduce((s, x) => s + x, 0)) / xs.length).toFixed(1)}%`;
  const all = Object.values(wins).flat();
  console.log(
    [
      spec.padEnd(24),
      share(all).padStart(7),
      ...Object.values(wins).map((xs) => share(xs).padStart(11)),
    ].join(" "),
  );
}
