import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_EXTRACTION_ORDER,
  extractALine,
  extractAnswer,
  extractAnswerIs,
  extractBoxed,
  extractGsm8k,
  extractLastNumber,
  extractMultipleChoice,
  MathAnswerGrader,
} from "../../src/scorers/math/index.js";

describe("extractBoxed", () => {
  it("takes the last box, with nested braces", () => {
    assert.equal(extractBoxed("so $\\boxed{5}$."), "5");
    assert.equal(extractBoxed("\\boxed{\\frac{1}{2}}"), "\\frac{1}{2}");
    assert.equal(extractBoxed("first \\boxed{1}, then \\boxed{2}"), "2");
    assert.equal(
      extractBoxed("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}"),
      "\\left( 3, \\frac{\\pi}{2} \\right)",
    );
    assert.equal(extractBoxed("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
    assert.equal(extractBoxed("\\boxed{\\text{(B)}}"), "\\text{(B)}");
  });

  it("reads \\fbox and \\boxed without braces", () => {
    assert.equal(extractBoxed("\\fbox{3}"), "3");
    assert.equal(extractBoxed("the answer is $\\boxed 5$"), "5");
    assert.equal(extractBoxed("\\boxed 12."), "12");
  });

  it("skips an unclosed (truncated) box for an earlier complete one", () => {
    assert.equal(extractBoxed("\\boxed{4} ... final \\boxed{\\frac{1}{"), "4");
    assert.equal(extractBoxed("\\boxed{\\frac{1}{"), null);
  });

  it("returns null without a box or with an empty one", () => {
    assert.equal(extractBoxed("no box here"), null);
    assert.equal(extractBoxed("\\boxed{}"), null);
    assert.equal(extractBoxed("\\boxedx{3}"), null);
  });
});

describe("extractGsm8k", () => {
  it("takes the last #### line", () => {
    assert.equal(extractGsm8k("3 + 4 = 7\n#### 7"), "7");
    assert.equal(extractGsm8k("#### 1\nmore\n#### 1,234"), "1,234");
    assert.equal(extractGsm8k("#### 42.\n"), "42");
    assert.equal(extractGsm8k("no marker 5"), null);
  });
});

describe("extractAnswerIs", () => {
  it("reads the usual phrasings", () => {
    assert.equal(extractAnswerIs("Thus the answer is 42."), "42");
    assert.equal(
      extractAnswerIs("The final answer is $\\frac{1}{2}$. I hope it is correct."),
      "\\frac{1}{2}",
    );
    assert.equal(extractAnswerIs("Final Answer: 7"), "7");
    assert.equal(extractAnswerIs("**Answer:** 12"), "12");
    assert.equal(extractAnswerIs("THE ANSWER IS 3"), "3");
    assert.equal(extractAnswerIs("the answer is 3.5 dollars."), "3.5 dollars");
    assert.equal(extractAnswerIs("The answer is (C)."), "(C)");
  });

  it("takes the last statement", () => {
    assert.equal(extractAnswerIs("I thought the answer is 4.\nActually, the answer is 5."), "5");
  });

  it("returns null without one", () => {
    assert.equal(extractAnswerIs("We compute 5."), null);
    assert.equal(extractAnswerIs("The answer is"), null);
  });
});

describe("extractALine", () => {
  it("takes the number of the last A: line", () => {
    assert.equal(extractALine("Q: 2+2?\nA: 4\nQ: 3+12?\nA: The total is 15 apples."), "15");
    assert.equal(extractALine("A: -3.5"), "-3.5");
    assert.equal(extractALine("A: 1,000"), "1,000");
    assert.equal(extractALine("A: none"), null);
    assert.equal(extractALine("The A: team"), null);
  });
});

describe("extractMultipleChoice", () => {
  it("reads a stated letter", () => {
    assert.equal(extractMultipleChoice("The answer is (C)."), "C");
    assert.equal(extractMultipleChoice("Answer: B"), "B");
    assert.equal(extractMultipleChoice("so the answer is $\\text{(D)}$"), "D");
  });

  it("reads a letter alone on a line", () => {
    assert.equal(extractMultipleChoice("Reasoning...\n(D)\n"), "D");
    assert.equal(extractMultipleChoice("Reasoning...\nE."), "E");
  });

  it("does not take words or lower-case letters", () => {
    assert.equal(extractMultipleChoice("the answer is a prime"), null);
    assert.equal(extractMultipleChoice("The answer is Justin"), null);
    assert.equal(extractMultipleChoice("no letter"), null);
  });
});

describe("extractLastNumber", () => {
  it("takes the last number with sign, commas, decimals and fractions", () => {
    assert.equal(extractLastNumber("I have 3 apples and -4.5 pears"), "-4.5");
    assert.equal(extractLastNumber("total 1,000 dollars."), "1,000");
    assert.equal(extractLastNumber("the ratio is 3/4"), "3/4");
    assert.equal(extractLastNumber("it is .5"), ".5");
    assert.equal(extractLastNumber("x-5"), "5");
    assert.equal(extractLastNumber("none"), null);
  });
});

describe("extractAnswer", () => {
  it("tries extractors in the default order", () => {
    assert.deepEqual(DEFAULT_EXTRACTION_ORDER, [
      "boxed",
      "gsm8k",
      "minerva",
      "answerIs",
      "aColon",
      "multipleChoice",
      "wholeAnswer",
      "lastMath",
    ]);
    assert.equal(extractAnswer("The answer is 4, i.e. \\boxed{5}"), "5");
    assert.equal(extractAnswer("The answer is 4.\n#### 6"), "6");
    assert.equal(extractAnswer("The answer is 4. Then 7"), "4");
    assert.equal(extractAnswer("Q: x\nA: 8 apples"), "8");
    assert.equal(extractAnswer("Reasoning about 12 and 13\n(B)"), "B");
    assert.equal(extractAnswer("we get 9 then 10"), "10");
    assert.equal(extractAnswer("I have nothing to say."), null);
    // An output that is only a word or two is a text answer.
    assert.equal(extractAnswer("No solution"), "No solution");
    assert.equal(extractAnswer(""), null);
  });

  it("accepts a custom order and custom extractors", () => {
    assert.equal(extractAnswer("\\boxed{5} and 6", ["lastNumber"]), "6");
    assert.equal(extractAnswer("\\boxed{5} and 6", [() => null, "boxed"]), "5");
    assert.equal(extractAnswer("ANS=3", [(t) => /ANS=(\d+)/.exec(t)?.[1] ?? null]), "3");
    assert.equal(extractAnswer("\\boxed{5}", []), null);
  });
});

describe("MathAnswerGrader", () => {
  const grader = new MathAnswerGrader();

  it("combines extraction and equivalence", () => {
    assert.deepEqual(grader.grade("\\frac12", "Hence $x = \\boxed{0.5}$."), {
      correct: true,
      extracted: "0.5",
    });
    assert.deepEqual(grader.grade("1000", "so she pays\n#### 1,000"), { correct: true, extracted: "1,000" });
    assert.deepEqual(grader.grade("7", "The answer is 8."), { correct: false, extracted: "8" });
    assert.deepEqual(grader.grade("5", "I do not know"), { correct: false, extracted: null });
    // A choice gold reads a choice letter.
    assert.deepEqual(grader.grade("(C)", "The answer is (C)."), { correct: true, extracted: "C" });
    assert.equal(grader.grade("\\{1,2\\}", "$\\boxed{\\{2, 1\\}}$").correct, true);
    assert.equal(grader.grade("10\\%", "The final answer is $10\\%$. I hope it is correct.").correct, true);
  });

  it("exposes equal and extract, and honours options", () => {
    assert.equal(grader.equal("2\\sqrt{2}", "\\sqrt{8}"), true);
    assert.equal(grader.extract("\\boxed{3}"), "3");
    const loose = new MathAnswerGrader({ extraction: ["lastNumber"], equivalence: { relTol: 1e-2 } });
    assert.deepEqual(loose.grade("\\frac13", "\\boxed{2} then 0.333"), { correct: true, extracted: "0.333" });
  });
});
