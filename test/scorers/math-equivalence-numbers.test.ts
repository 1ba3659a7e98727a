/** mathEqual on numbers: integers, decimals, fractions, separators, units, degrees and percentages. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mathEqual } from "../../src/scorers/math/index.js";
import { check } from "./math-equivalence-check.js";

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
