import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MathAnswerGrader, mathEqual, mathEqualDetailed } from "../../src/scorers/math/index.js";

type Case = readonly [gold: string, pred: string, expected: boolean];

/** Checks every case in both directions: equivalence must not depend on which side is gold. */
function check(cases: readonly Case[]): void {
  for (const [gold, pred, expected] of cases) {
    assert.equal(
      mathEqual(gold, pred),
      expected,
      `mathEqual(${JSON.stringify(gold)}, ${JSON.stringify(pred)})`,
    );
    assert.equal(
      mathEqual(pred, gold),
      expected,
      `mathEqual(${JSON.stringify(pred)}, ${JSON.stringify(gold)})`,
    );
  }
}

describe("mathEqual: numbers", () => {
  it("compares integers, decimals and fractions", () =>
    check([
      ["0.5", "\\frac12", true],
      ["\\frac{1}{2}", "1/2", true],
      [".5", "0.5", true],
      ["0.50", "0.5", true],
      ["2", "2.0", true],
      ["-3", "-3.0", true],
      ["3", "-3", false],
      ["12", "12.5", false],
      ["1000000", "1000001", false],
      ["123456789012345678901234567890", "123456789012345678901234567891", false],
      ["1/3", "0.33", false],
      ["\\frac13", "0.333", false],
      ["\\frac13", "0.3333333", true],
      ["\\frac{6}{8}", "\\frac{3}{4}", true],
      ["\\frac{3}{4}", "\\frac{4}{3}", false],
      ["-\\frac{1}{2}", "\\frac{-1}{2}", true],
      ["\\frac{1}{-2}", "-0.5", true],
      ["0", "-0", true],
      ["0", "0.0000001", false],
    ]));

  it("reads every spelling of a fraction", () =>
    check([
      ["\\dfrac{3}{4}", "3/4", true],
      ["\\tfrac{3}{4}", "0.75", true],
      ["\\cfrac{1}{2}", "0.5", true],
      ["\\frac{270}7", "270/7", true],
      ["\\frac12", "\\frac{1}{2}", true],
      ["\\frac12", "\\frac{1}{3}", false],
      ["\\frac{\\frac{1}{2}}{2}", "\\frac14", true],
      ["2\\frac{1}{2}", "\\frac{5}{2}", true],
      ["-2\\frac{1}{2}", "-2.5", true],
      ["\\frac{448}{15625}", "0.028672", true],
      ["\\dfrac{17}{50}", "0.34", true],
      ["0.\\overline{3}", "\\frac13", true],
      ["0.1\\overline{6}", "\\frac16", true],
      ["1.5e3", "1500", true],
      ["6.02\\times 10^{23}", "6.02e23", true],
    ]));

  it("ignores thousands separators", () =>
    check([
      ["1,000", "1000", true],
      ["1{,}000", "1000", true],
      ["1\\,000", "1000", true],
      ["1 000 000", "1000000", true],
      ["1,000,000.5", "1000000.5", true],
      ["1,234", "1243", false],
    ]));

  it("strips currency, units, degrees and text", () =>
    check([
      ["\\$5", "5", true],
      ["5", "\\$5.00", true],
      ["5", "5 dollars", true],
      ["12", "12\\text{ cm}", true],
      ["15", "15\\mbox{ cm}^2", true],
      ["4", "4 inches", true],
      ["3", "3 \\text{ hours}", true],
      ["5", "5 m", true],
      ["90^\\circ", "90", true],
      ["30", "30^{\\circ}", true],
      ["45°", "45", true],
      ["\\frac{270}7\\text{ degrees}", "\\frac{270}{7}", true],
      ["\\text{5}", "5", true],
      ["\\textbf{7}", "7", true],
      ["12 cm", "13", false],
    ]));

  it("does not strip letters that are algebra", () =>
    check([
      ["15x", "15", false],
      ["2m", "2", false],
      ["3\\pi", "3", false],
    ]));

  it("treats a percentage as the number and as a fraction", () => {
    check([
      ["10\\%", "10", true],
      ["10%", "10", true],
      ["10\\%", "0.1", true],
      ["50\\%", "\\frac12", true],
      ["10 percent", "10", true],
      ["10\\%", "0.2", false],
      ["10\\%", "11", false],
    ]);
    assert.equal(mathEqual("10\\%", "0.1", { percentAsFraction: false }), false);
  });
});

describe("mathEqual: LaTeX and symbolic", () => {
  it("evaluates roots, constants and functions", () =>
    check([
      ["2\\sqrt{2}", "\\sqrt{8}", true],
      ["\\sqrt{8}", "2.828427", true],
      ["2\\sqrt2", "2\\sqrt3", false],
      ["3 \\sqrt{5}", "\\sqrt{45}", true],
      ["\\frac{\\pi}{2}", "\\pi/2", true],
      ["\\pi/2", "1.5707963", true],
      ["\\frac{\\pi}{2}", "\\frac{\\pi}{3}", false],
      ["12\\pi", "\\pi \\cdot 12", true],
      ["\\sqrt[3]{27}", "3", true],
      ["\\sqrt[3]{-8}", "-2", true],
      ["\\left( \\frac{1}{2} \\right)^2", "\\frac14", true],
      ["2 \\cdot 3", "6", true],
      ["2 \\times 3", "6", true],
      ["\\frac{\\sqrt{3}}{2}", "\\frac{3}{2\\sqrt{3}}", true],
      ["\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt2}", true],
      ["\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}+1}{2}", true],
      ["\\frac{1+\\sqrt{5}}{2}", "\\frac{1-\\sqrt{5}}{2}", false],
      ["e^{i\\pi}", "-1", true],
      ["1+2i", "2i+1", true],
      ["1+2i", "1-2i", false],
      ["\\binom{10}{3}", "120", true],
      ["5!", "120", true],
      ["\\log_2 8", "3", true],
      ["\\ln e^2", "2", true],
      ["|-3|", "3", true],
      ["\\lfloor 2.7 \\rfloor", "2", true],
      ["2^{10}", "1024", true],
      ["2^10", "1024", true],
      ["\\sin\\frac{\\pi}{6}", "\\frac12", true],
      ["\\tan^{-1} 1", "\\frac{\\pi}{4}", true],
      ["\\sin^2 x + \\cos^2 x", "1", true],
    ]));

  it("decides polynomial and rational identities", () =>
    check([
      ["x^2+2x+1", "(x+1)^2", true],
      ["x^2+2x+1", "(x-1)^2", false],
      ["x^2-1", "(x-1)(x+1)", true],
      ["\\frac{x^2-1}{x-1}", "x+1", true],
      ["x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)", true],
      ["2x", "x+x", true],
      ["2x", "2y", false],
      ["a+b", "b+a", true],
      ["\\frac{1}{x}", "x^{-1}", true],
      ["3x-7y+11", "11+3x-7y", true],
      ["15x - 80", "5(3x-16)", true],
      ["x^2", "x^{2}", true],
      ["x^2", "x^3", false],
      ["x_1 + x_2", "x_2 + x_1", true],
      ["\\theta", "\\theta", true],
      ["\\alpha + 1", "\\beta + 1", false],
    ]));

  it("accepts plain-text and unicode spellings", () =>
    check([
      ["\\sqrt{2}", "sqrt(2)", true],
      ["x^2", "x**2", true],
      ["\\frac{\\pi}{4}", "pi/4", true],
      ["2\\sqrt{2}", "2*sqrt(2)", true],
      ["-3", "−3", true],
      ["\\pi", "π", true],
      ["2\\sqrt{3}", "2√3", true],
    ]));

  it("unwraps delimiters and boxes", () =>
    check([
      ["5", "$5$", true],
      ["5", "\\boxed{5}", true],
      ["5", "\\(5\\)", true],
      ["5", "5.", true],
      ["\\frac12", "\\boxed{\\dfrac{1}{2}}", true],
      ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", true],
    ]));

  it("compares infinities by form", () =>
    check([
      ["\\infty", "∞", true],
      ["\\infty", "-\\infty", false],
      ["10^{10^{10}}", "\\infty", false],
    ]));
});

describe("mathEqual: structures", () => {
  it("intervals keep their brackets", () =>
    check([
      ["[0,1)", "[0,1]", false],
      ["[0,1)", "[0, 1)", true],
      ["(0,1]", "(0,1)", false],
      ["(-\\infty, 3)", "(-\\infty,3)", true],
      ["(-\\infty, 3)", "(-\\infty, 3]", false],
      ["(0,9) \\cup (9,36)", "(9,36) \\cup (0,9)", true],
      ["(0,9) \\cup (9,36)", "(0,36)", false],
      ["(-\\infty,0)\\cup(0,\\infty)", "(-\\infty,0)\\cup[0,\\infty)", false],
    ]));

  it("reads one-variable inequalities as intervals", () =>
    check([
      ["(5,\\infty)", "x>5", true],
      ["[2,\\infty)", "x \\ge 2", true],
      ["(2,\\infty)", "x\\ge2", false],
      ["(-\\infty, 1)", "x < 1", true],
      ["(-\\infty, 1]", "1 \\geq x", true],
      ["[1,3)", "1 \\le x < 3", true],
      ["[1,3)", "3 > x \\ge 1", true],
      ["[1,2]", "x \\in [1,2]", true],
    ]));

  it("sets ignore order and duplicates; tuples keep order", () =>
    check([
      ["\\{1,2\\}", "\\{2,1\\}", true],
      ["\\{1,2\\}", "\\{1,2,3\\}", false],
      ["\\{1,2,2\\}", "\\{1,2\\}", true],
      ["\\{1\\}", "1", true],
      ["\\emptyset", "\\varnothing", true],
      ["(1,2)", "(2,1)", false],
      ["(1,2)", "(1,2)", true],
      ["(1,2,3)", "(1,3,2)", false],
      ["(1,2,3)", "(1, 2, 3)", true],
      ["(1,2)", "[1,2]", false],
      ["(1, \\frac12)", "(1, 0.5)", true],
    ]));

  it("bare lists are unordered; a gold tuple keeps its order against a list", () => {
    check([
      ["1,2", "2,1", true],
      ["1, 2", "1, 3", false],
      ["1, 2", "1, 2, 3", false],
      ["1,2", "\\{2,1\\}", true],
      ["(1,2)", "1, 2", true],
      ["2 \\text{ and } 3", "2, 3", true],
      ["x = 1, y = 2", "(1, 2)", true],
    ]);
    // The gold's form decides: a gold tuple is ordered, a gold list ("all solutions") is not.
    assert.equal(mathEqual("(1,2)", "2, 1"), false);
    assert.equal(mathEqual("2, 1", "(1,2)"), true);
    assert.equal(mathEqual("2, 1", "(1,2)", { conventions: { unorderedLists: false } }), false);
  });

  it("expands ± into both readings", () =>
    check([
      ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt{2}, 3-2\\sqrt{2}", true],
      ["3 \\pm 2\\sqrt{2}", "3-2\\sqrt{2},3+2\\sqrt{2}", true],
      ["3 \\pm 2\\sqrt{2}", "3+2\\sqrt{2}", false],
      ["\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true],
      ["\\pm 2", "2, -2", true],
      ["1 \\pm 2", "1 \\mp 2", true],
    ]));

  it("compares matrices and vectors element-wise", () =>
    check([
      ["\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", true],
      [
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        "\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}",
        false,
      ],
      ["\\begin{pmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{pmatrix}", "(16/49, 48/49, 24/49)", true],
      ["\\begin{pmatrix} -1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} -1 \\\\ 3 \\end{pmatrix}", false],
    ]));

  it("reduces `variable = value` and compares equations up to a factor", () =>
    check([
      ["5", "x=5", true],
      ["5", "x = 6", false],
      ["x = 5", "y = 5", true],
      ["y = 2x+3", "2x+3", true],
      ["y=2x+3", "y = 3 + 2x", true],
      ["y=2x+3", "y=3x+2", false],
      ["2x+3=y", "y = 2x+3", true],
      ["5x - 7y + 11z + 4 = 0", "-10x + 14y - 22z - 8 = 0", true],
      ["5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0", false],
      ["x+y=1", "2x+2y=2", true],
      ["x^2+y^2=1", "y^2 = 1 - x^2", true],
      ["f(x) = 2x", "2x", true],
    ]));

  it("numbers in other bases", () =>
    check([
      ["4210_{5}", "4210_5", true],
      ["4210_5", "4210", true],
      ["4210_5", "4201_5", false],
      ["10_2", "2_{10}", true],
      ["204_5", "204", true],
    ]));

  it("choices and words compare by spelling", () =>
    check([
      ["\\text{(B)}", "B", true],
      ["(B)", "B", true],
      ["B", "C", false],
      ["\\text{Evelyn}", "Evelyn", true],
      ["\\text{even}", "odd", false],
      ["\\text{east}", "East", true],
      ["Monday", "Mondya", false],
      ["E", "e", false],
      ["\\text{no solution}", "No solution", true],
    ]));
});

describe("mathEqual: options and robustness", () => {
  it("honours relTol", () => {
    assert.equal(mathEqual("\\frac13", "0.333"), false);
    assert.equal(mathEqual("\\frac13", "0.333", { relTol: 1e-2 }), true);
    assert.equal(mathEqual("\\pi", "3.14", { relTol: 1e-3 }), true);
    assert.equal(mathEqual("\\pi", "3.14"), false);
  });

  it("rejects empty and non-string input without throwing", () => {
    assert.equal(mathEqual("5", ""), false);
    assert.equal(mathEqual("", ""), false);
    assert.equal(mathEqual("   ", "5"), false);
    assert.equal(mathEqual(undefined as unknown as string, "5"), false);
    assert.equal(mathEqual("5", null as unknown as string), false);
  });

  it("reports why", () => {
    assert.deepEqual(mathEqualDetailed("\\frac12", "0.5"), { equal: true, reason: "equivalent" });
    assert.deepEqual(mathEqualDetailed("\\text{east}", "East"), { equal: true, reason: "equivalent" });
    assert.deepEqual(mathEqualDetailed("1", "2"), { equal: false, reason: "different" });
    assert.deepEqual(mathEqualDetailed("1", "x".repeat(5000)), { equal: false, reason: "too-long" });
  });

  it("returns false quickly on pathological input", () => {
    const nest = (n: number, open: string, close: string, mid: string): string =>
      open.repeat(n) + mid + close.repeat(n);
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["10^{10^{10}}", "10^{10^{10}}+1"],
      ["9^{9^{9^{9}}}", "9^{9^{9^{9}}}-1"],
      ["123456789^{123456789}", "123456789^{123456789}+1"],
      ["2^{4096}", "2^{4096}+1"],
      [`${"1+".repeat(2500)}1`, `${"2+".repeat(2500)}2`],
      [`${"x+".repeat(499)}x`, "501x"],
      [nest(2000, "{", "}", "1"), nest(2000, "{", "}", "2")],
      [nest(400, "{", "}", "1"), nest(400, "{", "}", "2")],
      [nest(300, "(", ")", "1"), "2"],
      [nest(80, "\\frac{1}{", "}", "2"), "0.5"],
      [`${"\\sqrt".repeat(150)}{2}`, "2"],
      [`${"-".repeat(900)}1`, "1"],
      ["100000000!", "100000001!"],
      ["\\binom{1000000000}{500000000}", "1"],
      ["1\\pm2\\pm3\\pm4\\pm5", "1"],
      ["x^{x^{x^{x^{x^{x}}}}}", "x^{x^{x^{x^{x^{2}}}}}"],
      [nest(10, "\\{", "\\}", "1"), nest(10, "\\{", "\\}", "2")],
      [nest(12, "(1,", ")", "1"), nest(12, "(1,", ")", "2")],
      [`\\boxed{${"{".repeat(600)}`, "1"],
      ["\\frac{1}{0}", "\\frac{2}{0}"],
      ["0^{-1}", "\\infty"],
    ];
    mathEqual("\\sqrt{2}", "\\sqrt{2}"); // load the CAS once, outside the timed loop
    // Each is refused by a size or node limit, or stopped by the comparison's time limit, and
    // counts as unequal; bench/grade.ts measures how long such inputs take.
    for (const [a, b] of cases) {
      assert.equal(mathEqual(a, b), false, `${a.slice(0, 40)} vs ${b.slice(0, 40)}`);
    }
  });

  it("handles long lists within the limits", () => {
    const a = Array.from({ length: 150 }, (_, i) => `\\sqrt{${i + 2}}`).join(",");
    const b = Array.from({ length: 150 }, (_, i) => `\\sqrt{${151 - i}}`).join(",");
    assert.equal(mathEqual(a, b, { maxLength: 5000, timeLimitMs: 60_000 }), true);
  });
});

// The MATH-500 file shipped with the package (data/), so the check runs wherever the repository is.
const MATH500 = join(import.meta.dirname, "..", "..", "data", "math500", "test.jsonl");

describe("MATH-500 gold answers", () => {
  it("each gold equals itself, its boxed form, and is graded correct in its own solution", () => {
    const rows = readFileSync(MATH500, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as { answer: string; solution: string; unique_id: string });
    assert.equal(rows.length, 500);
    const grader = new MathAnswerGrader();
    const failures: string[] = [];
    for (const { answer, solution, unique_id } of rows) {
      assert.equal(mathEqual(answer, answer), true, `self: ${answer}`);
      assert.equal(mathEqual(answer, `\\boxed{${answer}}`), true, `boxed: ${answer}`);
      assert.equal(
        grader.grade(answer, `So the answer is $\\boxed{${answer}}$.`).correct,
        true,
        `grade: ${answer}`,
      );
      // The re-grade: the gold extracted from its own reference solution equals the gold.
      const { correct, extracted } = grader.grade(answer, solution);
      if (!correct) failures.push(`${unique_id}: ${answer} vs extracted ${extracted}`);
    }
    assert.deepEqual(failures, [], `${500 - failures.length}/500 solutions graded correct`);
  });
});
