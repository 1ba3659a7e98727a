/** mathEqual on LaTeX and symbolic answers: functions, identities, spellings, delimiters, infinities. */
import { describe, it } from "node:test";
import { check } from "./math-equivalence-check.js";

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
