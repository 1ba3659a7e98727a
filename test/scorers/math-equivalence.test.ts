/**
 * mathEqual's options and its behaviour on empty, pathological and long input; every MATH-500 gold
 * answer against itself, its boxed form and its own reference solution.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MathAnswerGrader, mathEqual, mathEqualDetailed } from "../../src/scorers/math/index.js";

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
