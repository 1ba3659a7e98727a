/**
 * Grading quality and throughput.
 *
 * 1. Agreement on the sourced grading cases of test/fixtures/grading-cases.txt (behaviour of
 *    Math-Verify, hendrycks MATH, Minerva, GSM8K, MARIO_EVAL, NeMo-Skills, lighteval): the share of
 *    cases whose verdict (extract from the output, then compare with the gold, as `deliberate eval`
 *    grades) matches the label, per failure class, and the extraction rate on the extraction cases.
 * 2. Throughput in pairs per second: equivalence alone (mathEqual) and extraction + equivalence
 *    (MathAnswerGrader.grade), on numeric and LaTeX answers and on the case file's whole outputs.
 *
 * Run: npx tsx bench/grade.ts
 */
import { MathAnswerGrader, type MathEqualOptions, mathEqual } from "../src/scorers/math/index.js";
import { loadGradingCases } from "../test/fixtures/grading-cases.js";

const grader = new MathAnswerGrader();
// For the agreement figures the time limit (a backstop against pathological input) is raised, so that
// a loaded machine cannot change a verdict; throughput below uses the defaults.
const caseGrader = new MathAnswerGrader({ equivalence: { timeLimitMs: 10_000 } });

// Loads mathjs (one-time, lazy) before anything else, so the figure is the real cold start.
const loadStart = performance.now();
mathEqual("\\sqrt{2}", "\\sqrt{2}");
const loadMs = performance.now() - loadStart;

// --- 1. agreement per class and extraction rate
const cases = loadGradingCases();
const perClass = new Map<string, { agree: number; total: number }>();
let agree = 0;
let extractionCases = 0;
let extracted = 0;
for (const c of cases) {
  const g = c.options
    ? new MathAnswerGrader({ equivalence: { timeLimitMs: 10_000, ...c.options } as MathEqualOptions })
    : caseGrader;
  const answer = g.extractFor(c.gold, c.output);
  const equal = answer !== null && g.equal(c.gold, answer);
  const row = perClass.get(c.class) ?? { agree: 0, total: 0 };
  row.total++;
  if (equal === c.equal) {
    row.agree++;
    agree++;
  }
  perClass.set(c.class, row);
  if (c.answer !== undefined) {
    extractionCases++;
    if (c.answer === null ? answer === null : answer !== null && mathEqual(c.answer, answer)) extracted++;
  }
}
const pct = (a: number, n: number): string => `${((100 * a) / n).toFixed(1)}%`;
console.log(`grading cases: ${cases.length} (test/fixtures/grading-cases.txt)`);
console.log("class         agreement");
for (const [cls, { agree: a, total }] of [...perClass].sort()) {
  console.log(
    `${cls.padEnd(12)}  ${String(a).padStart(3)}/${String(total).padEnd(3)} ${pct(a, total).padStart(6)}`,
  );
}
console.log(`all           ${agree}/${cases.length} ${pct(agree, cases.length)}`);
console.log(`known failures marked in the file: ${cases.filter((c) => c.knownFailure).length}`);
console.log(`extraction    ${extracted}/${extractionCases} ${pct(extracted, extractionCases)}`);
console.log("");

// --- 2. throughput
function numericPairs(n: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const gold = String((i * 7919) % 100000);
    const pred = i % 3 === 0 ? gold : i % 3 === 1 ? `${gold}.0` : String(Number(gold) + 1);
    out.push([gold, pred]);
  }
  return out;
}

const LATEX: Array<[string, string]> = [
  ["\\frac{1}{2}", "0.5"],
  ["2\\sqrt{2}", "\\sqrt{8}"],
  ["\\frac{\\pi}{2}", "\\pi/2"],
  ["x^2+2x+1", "(x+1)^2"],
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\frac{\\pi}{2})"],
  ["\\{1,2\\}", "\\{2,1\\}"],
  ["[0,1)", "[0,1]"],
  ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt2, 3-2\\sqrt2"],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1,2)"],
  ["\\dfrac{17}{50}", "0.34"],
  ["10\\%", "0.1"],
  ["5x - 7y + 11z + 4 = 0", "-5x + 7y - 11z - 4 = 0"],
];

/** Distinct strings per iteration, so the per-string parse cache does not flatter the figures. */
function latexPairs(n: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const [g, p] = LATEX[i % LATEX.length]!;
    // Thin spaces are normalised away but make every raw string distinct.
    const k = Math.floor(i / LATEX.length);
    const pad = `${"\\,".repeat(k % 40)}${"\\;".repeat(Math.floor(k / 40) % 40)}`;
    out.push([g + pad, pad + p]);
  }
  return out;
}

/** The case file's (gold, output) pairs, each output made distinct by a trailing counter line. */
function casePairs(n: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < n; i++) {
    const c = cases[i % cases.length]!;
    out.push([c.gold, `${c.output}${" ".repeat(Math.floor(i / cases.length) % 50)}`]);
  }
  return out;
}

/**
 * Prints pairs per wall-clock second and per CPU second of this process: on a shared machine the
 * second is the steadier figure.
 */
function measure(label: string, pairs: Array<[string, string]>, fn: (g: string, p: string) => unknown): void {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const [g, p] of pairs) fn(g, p);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    `${label.padEnd(48)} ${String(Math.round(pairs.length / seconds)).padStart(8)} pairs/s ${String(Math.round(pairs.length / cpuSeconds)).padStart(8)} pairs/CPU-s  (${pairs.length} pairs)`,
  );
}

// Warm up: JIT-compiles the parser.
console.log(`first comparison (loads mathjs)                  ${loadMs.toFixed(0)} ms`);
for (const [g, p] of latexPairs(500)) mathEqual(g, p);

const numeric = numericPairs(20000);
measure("numeric  mathEqual", numeric, (g, p) => mathEqual(g, p));
measure("numeric  grade(gold, 'The answer is \\boxed{x}')", numeric, (g, p) =>
  grader.grade(g, `So the answer is $\\boxed{${p}}$.`),
);
const latex = latexPairs(6000);
measure("latex    mathEqual", latex, (g, p) => mathEqual(g, p));
measure(
  "latex    grade(gold, '... \\boxed{x}')",
  latexPairs(6000).map(([g, p]) => [`${g}\\!`, p]),
  (g, p) => grader.grade(g, `Therefore the answer is $\\boxed{${p}}$.`),
);
// Outputs repeat answers here, so the per-answer parse cache is warm: closer to voting over samples.
measure("cases    grade(gold, whole output), cache warm", casePairs(10000), (g, p) => grader.grade(g, p));
