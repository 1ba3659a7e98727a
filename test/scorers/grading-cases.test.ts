/**
 * The sourced grading cases of test/fixtures/grading-cases.txt (Math-Verify, hendrycks MATH, Minerva,
 * GSM8K, MARIO_EVAL, NeMo-Skills, lighteval behaviour), graded as `deliberate eval` grades: extract the
 * answer from the output, then compare it with the gold. Every case must agree with its label (cases
 * marked as known failures must still disagree), and every extraction case must extract the expected
 * answer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MathAnswerGrader, type MathEqualOptions, mathEqual } from "../../src/scorers/math/index.js";
import { type GradingCase, loadGradingCases } from "../fixtures/grading-cases.js";

const cases = loadGradingCases();

function describeCase(c: GradingCase, extracted: string | null): string {
  return `line ${c.line} [${c.source}] gold ${JSON.stringify(c.gold)} extracted ${JSON.stringify(extracted)}`;
}

describe("grading cases", () => {
  it("has at least 400 cases, each naming its source", () => {
    assert.ok(cases.length >= 400, `${cases.length} cases`);
    for (const c of cases) assert.match(c.source, /^[A-Za-z0-9-]+$/, `line ${c.line}`);
    assert.ok(cases.filter((c) => c.answer !== undefined).length >= 100, "extraction cases");
    // Known failures stay few: the agreement target is 97%.
    assert.ok(cases.filter((c) => c.knownFailure).length <= cases.length * 0.03);
  });

  const classes = [...new Set(cases.map((c) => c.class))];
  for (const cls of classes) {
    it(`${cls}: verdicts and extractions agree with the labels`, () => {
      const failures: string[] = [];
      for (const c of cases.filter((x) => x.class === cls)) {
        // The time limit is a backstop against pathological input; on a loaded machine the first
        // comparisons (cold JIT) could reach it, and the verdicts are what is tested here.
        const equivalence = { timeLimitMs: 10_000, ...c.options } as MathEqualOptions;
        const grader = new MathAnswerGrader({ equivalence });
        const extracted = grader.extractFor(c.gold, c.output);
        const equal = extracted !== null && grader.equal(c.gold, extracted);
        if (c.knownFailure) {
          if (equal === c.equal)
            failures.push(`known failure now agrees, remove its "!": ${describeCase(c, extracted)}`);
          continue;
        }
        if (equal !== c.equal)
          failures.push(`verdict ${equal}, expected ${c.equal}: ${describeCase(c, extracted)}`);
        if (c.answer !== undefined) {
          const ok =
            c.answer === null ? extracted === null : extracted !== null && mathEqual(c.answer, extracted);
          if (!ok)
            failures.push(`extraction, expected ${JSON.stringify(c.answer)}: ${describeCase(c, extracted)}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  it("a switched-off convention changes the verdicts it names", () => {
    const off = (conventions: MathEqualOptions["conventions"]) => ({ conventions });
    assert.equal(mathEqual("1,22", "1.22"), true);
    assert.equal(mathEqual("1,22", "1.22", off({ decimalComma: false })), false);
    assert.equal(mathEqual("10\\%", "0.1", off({ percentAsFraction: false })), false);
    assert.equal(mathEqual("5", "5 \\text{ cm}", off({ units: false })), false);
    assert.equal(mathEqual("5", "x = 5", off({ assignments: false })), false);
    assert.equal(mathEqual("(2,\\infty)", "x > 2", off({ inequalityIntervals: false })), false);
    assert.equal(mathEqual("\\cos x", "\\sin(90^\\circ - x)", off({ degreesInTrig: false })), false);
    assert.equal(mathEqual("4210_5", "4210", off({ baseDigits: false })), false);
    assert.equal(mathEqual("\\text{East}", "east", off({ textCase: false })), false);
    assert.equal(mathEqual("1, 2", "2, 1", off({ unorderedLists: false })), false);
  });
});
