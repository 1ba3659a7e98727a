/**
 * Grading throughput: pairs per second for simple numeric answers and for LaTeX answers, through
 * extraction + equivalence (MathAnswerGrader.grade) and equivalence alone (mathEqual).
 * Run: npx tsx bench/grade.ts
 */
import { MathAnswerGrader, mathEqual } from "../src/scorers/math/index.js";

const grader = new MathAnswerGrader();

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

function measure(label: string, pairs: Array<[string, string]>, fn: (g: string, p: string) => unknown): void {
  const start = performance.now();
  for (const [g, p] of pairs) fn(g, p);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(44)} ${String(Math.round(pairs.length / seconds)).padStart(8)} pairs/s  (${pairs.length} pairs)`,
  );
}

// Warm up: loads mathjs (one-time, lazy) and JIT-compiles the parser.
const loadStart = performance.now();
mathEqual("\\sqrt{2}", "\\sqrt{2}");
console.log(`first comparison (loads mathjs)              ${(performance.now() - loadStart).toFixed(0)} ms`);
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
