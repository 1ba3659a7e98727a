import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cutAtEndOfTurn,
  DEFAULT_EXTRACTION_ORDER,
  extractALine,
  extractAnswer,
  extractAnswerIs,
  extractBoxed,
  extractChoice,
  extractGsm8k,
  extractLastMath,
  extractLastNumber,
  extractMinerva,
  extractMultipleChoice,
  extractWholeAnswer,
  goldChoiceLetter,
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

describe("extractBoxed: several boxes", () => {
  it("joins boxes separated only by commas, and/or or spacing", () => {
    assert.equal(extractBoxed("so \\boxed{(1, 2)}, \\boxed{(2, 1)}."), "(1, 2), (2, 1)");
    assert.equal(extractBoxed("$\\boxed{1}\\boxed{2}$"), "1, 2");
    assert.equal(extractBoxed("\\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]"), "-2, 1");
    assert.equal(extractBoxed("\\(\\boxed{1}\\) and \\(\\boxed{-2}\\)"), "1, -2");
    // Words between boxes: a revision, not one answer.
    assert.equal(extractBoxed("first \\boxed{4}; wait, then \\boxed{5}"), "5");
  });

  it("stays linear on many unclosed boxes", () => {
    const start = performance.now();
    assert.equal(extractBoxed("\\boxed{".repeat(20000)), null);
    assert.ok(performance.now() - start < 5000);
  });
});

describe("extractMinerva", () => {
  it("reads the final-answer sentence of the MATH prompt", () => {
    assert.equal(
      extractMinerva("Final Answer: The final answer is $28 \\%$. I hope it is correct."),
      "28 \\%",
    );
    assert.equal(extractMinerva("Final Answer: The final answer is 7.78. I hope it is correct."), "7.78");
    assert.equal(extractMinerva("The final answer is 7.78."), null);
  });
});

describe("extractWholeAnswer and extractLastMath", () => {
  it("takes an output that is only an answer", () => {
    assert.equal(extractWholeAnswer("$\\frac{1}{3} \\text{meters}$"), "\\frac{1}{3} \\text{meters}");
    assert.equal(extractWholeAnswer("28 percent"), "28 percent");
    assert.equal(extractWholeAnswer("No solution"), "No solution");
    assert.equal(extractWholeAnswer("Soucis : 2,74 $ a.."), null);
    assert.equal(extractWholeAnswer("Because B is valid"), null);
  });

  it("takes the math span or number that ends last", () => {
    assert.equal(extractLastMath("Therefore $x \\geq 5$ is the solution."), "x \\geq 5");
    assert.equal(extractLastMath("so $x = 2$ and the total is 7"), "7");
    assert.equal(extractLastMath("$21,16$ or $11$"), "21,16, 11");
    assert.equal(extractLastMath("it's 1,000.99m²"), "1,000.99");
    assert.equal(extractLastMath("Soucis : 2,74 $ a.."), "2,74");
    assert.equal(extractLastMath("AZYUK2A"), null);
  });

  it("ignores text after an end-of-turn token", () => {
    assert.equal(cutAtEndOfTurn("4.<|im_start|>user 5"), "4.");
    assert.equal(extractAnswer("The answer is 4.<|im_start|>user\nThe answer is 5"), "4");
    assert.equal(extractAnswer("\\(-2\\).</s>"), "-2");
  });
});

describe("extractChoice", () => {
  it("reads letters stated, opening the output, or standing alone", () => {
    assert.equal(extractChoice("D. it can't be A or B"), "D");
    assert.equal(extractChoice("(D) Alina"), "D");
    assert.equal(extractChoice("B。不是 A"), "B");
    assert.equal(extractChoice("La réponse est C"), "C");
    assert.equal(extractChoice("答案是 D"), "D");
    assert.equal(extractChoice("Because B is valid"), "B");
    assert.equal(extractChoice("so \\boxed{\\text{(C)}}"), "C");
    assert.equal(extractChoice("No valid answer here"), null);
    assert.equal(extractChoice("It is E", "ABCD"), null);
    assert.equal(extractChoice("It is E", "ABCDE"), "E");
  });

  it("recognises choice golds", () => {
    assert.equal(goldChoiceLetter("\\text{(C)}"), "C");
    assert.equal(goldChoiceLetter("(B)"), "B");
    assert.equal(goldChoiceLetter("E"), "E");
    assert.equal(goldChoiceLetter("x"), null);
    assert.equal(goldChoiceLetter("12"), null);
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

  it("reads a choice letter when the gold is one, and only then", () => {
    assert.deepEqual(grader.grade("B", "Because B is valid"), { correct: true, extracted: "B" });
    assert.equal(grader.grade("5", "Because B is valid").extracted, null);
    const never = new MathAnswerGrader({ multipleChoice: "never" });
    assert.equal(never.grade("B", "Because B is valid").correct, false);
    const always = new MathAnswerGrader({ multipleChoice: "always" });
    assert.equal(always.extract("Because B is valid"), "B");
  });

  it("exposes equal and extract, and honours options", () => {
    assert.equal(grader.equal("2\\sqrt{2}", "\\sqrt{8}"), true);
    assert.equal(grader.extract("\\boxed{3}"), "3");
    const loose = new MathAnswerGrader({ extraction: ["lastNumber"], equivalence: { relTol: 1e-2 } });
    assert.deepEqual(loose.grade("\\frac13", "\\boxed{2} then 0.333"), { correct: true, extracted: "0.333" });
  });
});
