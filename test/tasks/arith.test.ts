import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ARITH_LIMITS,
  arithSolutionSteps,
  arithSplitOf,
  extractArithAnswer,
  formatArithPrompt,
  formatArithSolution,
  generateArithProblem,
  generateArithSplit,
  parseArithQuestion,
  verifyArithSolution,
  verifyArithSteps,
} from "../../src/tasks/arith/index.js";

const Q = "96-7+32-58";

describe("arith generator", () => {
  it("is deterministic per seed", () => {
    for (const level of [1, 4, 8]) {
      assert.deepEqual(generateArithProblem(7, level), generateArithProblem(7, level));
    }
    assert.notEqual(generateArithProblem(1, 5).question, generateArithProblem(2, 5).question);
    assert.deepEqual(generateArithSplit("test", 3, 20), generateArithSplit("test", 3, 20));
  });

  it("uses level operations and keeps every value in range", () => {
    for (let seed = 0; seed < 300; seed++) {
      const level = 1 + (seed % 8);
      const p = generateArithProblem(seed, level);
      assert.equal(p.level, level);
      assert.equal(p.ops.length, level);
      assert.ok(p.start >= ARITH_LIMITS.startMin && p.start <= ARITH_LIMITS.startMax);
      let value = p.start;
      for (const op of p.ops) {
        assert.ok(op.value >= ARITH_LIMITS.operandMin && op.value <= ARITH_LIMITS.operandMax);
        value = op.op === "+" ? value + op.value : value - op.value;
        assert.ok(value >= ARITH_LIMITS.valueMin && value <= ARITH_LIMITS.valueMax, p.question);
      }
      assert.equal(p.answer, value);
    }
  });

  it("rejects levels outside 1..8", () => {
    assert.throws(() => generateArithProblem(1, 0), RangeError);
    assert.throws(() => generateArithProblem(1, 9), RangeError);
  });

  it("produces disjoint splits of distinct questions", () => {
    for (const level of [1, 2, 6]) {
      const sets = (["train", "validation", "test"] as const).map((s) => {
        const problems = generateArithSplit(s, level, 300);
        const questions = new Set(problems.map((p) => p.question));
        assert.equal(questions.size, 300, "no duplicates within a split");
        for (const q of questions) assert.equal(arithSplitOf(q), s);
        return questions;
      });
      for (const q of sets[0]!) assert.ok(!sets[1]!.has(q) && !sets[2]!.has(q));
      for (const q of sets[1]!) assert.ok(!sets[2]!.has(q));
    }
  });

  it("throws on an impossible count instead of looping", () => {
    assert.throws(() => generateArithSplit("test", 1, 5000), RangeError);
  });
});

describe("arith formatting", () => {
  it("formats the prompt and gold solution", () => {
    const p = parseArithQuestion(Q)!;
    assert.equal(formatArithPrompt(p), "Q:96-7+32-58\n");
    assert.equal(formatArithSolution(p), "96-7=89\n89+32=121\n121-58=63\nA:63\n");
    assert.deepEqual(arithSolutionSteps(p), ["96-7=89", "89+32=121", "121-58=63", "A:63"]);
  });

  it("parses questions with or without the Q: prefix", () => {
    assert.equal(parseArithQuestion(`Q:${Q}`)?.answer, 63);
    assert.equal(parseArithQuestion(`${Q}\n`)?.level, 3);
    assert.equal(parseArithQuestion(" Q:12+5 ")?.question, "12+5");
    for (const bad of ["", "Q:", "12", "12+", "a+b", "12*3", "Q:12+5=17"]) {
      assert.equal(parseArithQuestion(bad), null, bad);
    }
  });

  it("round-trips generate → format → parse → verify", () => {
    for (let seed = 0; seed < 200; seed++) {
      const p = generateArithProblem(seed, 1 + (seed % 8));
      const parsed = parseArithQuestion(formatArithPrompt(p))!;
      assert.deepEqual({ ...parsed, id: p.id }, p);
      const verdict = verifyArithSolution(p.question, formatArithSolution(p));
      assert.ok(verdict.correct, p.question);
      assert.equal(verdict.answer, p.answer);
    }
  });
});

describe("arith verifier", () => {
  const reasonOfFirstError = (steps: string[]) => {
    const v = verifyArithSteps(Q, steps);
    const first = v.findIndex((s) => !s.correct);
    return { first, reason: v[first]?.reason, all: v.map((s) => s.correct) };
  };

  it("accepts the gold solution", () => {
    const v = verifyArithSolution(Q, "96-7=89\n89+32=121\n121-58=63\nA:63\n");
    assert.equal(v.correct, true);
    assert.equal(v.answer, 63);
    assert.deepEqual(
      v.steps.map((s) => s.correct),
      [true, true, true, true],
    );
  });

  it("flags wrong arithmetic and everything after it", () => {
    const r = reasonOfFirstError(["96-7=89", "89+32=111", "111-58=53", "A:53"]);
    assert.equal(r.first, 1);
    assert.match(r.reason!, /wrong arithmetic/);
    assert.deepEqual(r.all, [true, false, false, false]);
  });

  it("flags a wrong left side", () => {
    assert.match(reasonOfFirstError(["96-7=89", "88+32=120"]).reason!, /left side/);
    assert.match(reasonOfFirstError(["96+7=103"]).reason!, /left side/);
  });

  it("flags a skipped step", () => {
    const r = reasonOfFirstError(["96-7=89", "89-58=31", "A:31"]);
    assert.equal(r.first, 1);
    assert.match(r.reason!, /left side/);
    const early = reasonOfFirstError(["96-7=89", "89+32=121", "A:121"]);
    assert.equal(early.first, 2);
    assert.match(early.reason!, /answer given after 2 of 3/);
  });

  it("flags a wrong final answer", () => {
    const v = verifyArithSolution(Q, "96-7=89\n89+32=121\n121-58=63\nA:64\n");
    assert.equal(v.correct, false);
    assert.deepEqual(
      v.steps.map((s) => s.correct),
      [true, true, true, false],
    );
    assert.match(v.steps[3]!.reason!, /final answer should be 63/);
  });

  it("flags malformed steps, missing A: and text after the answer", () => {
    assert.match(reasonOfFirstError(["96 minus 7 is 89"]).reason!, /malformed/);
    assert.match(
      reasonOfFirstError(["96-7=89", "89+32=121", "121-58=63", "63"]).reason!,
      /expected the A: line/,
    );
    const extra = verifyArithSolution(Q, "96-7=89\n89+32=121\n121-58=63\nA:63\n1+1=2\n");
    assert.equal(extra.correct, false);
    assert.match(extra.steps[4]!.reason!, /after the final answer/);
  });

  it("scores partial solutions step by step", () => {
    assert.deepEqual(
      verifyArithSteps(Q, ["96-7=89", "89+32=121"]).map((s) => s.correct),
      [true, true],
    );
    assert.deepEqual(verifyArithSteps(Q, []), []);
    const partial = verifyArithSolution(Q, "96-7=89\n89+32=121\n");
    assert.equal(partial.correct, false, "an unfinished solution is not correct");
    assert.equal(partial.answer, null);
  });

  it("ignores blank lines and surrounding whitespace", () => {
    assert.ok(verifyArithSolution(`Q:${Q}`, " 96-7=89 \n\n89+32=121\n121-58=63\r\nA: 63").correct);
  });

  it("throws on an unparsable question", () => {
    assert.throws(() => verifyArithSolution("what is 2+2?", "A:4"));
  });
});

describe("extractArithAnswer", () => {
  it("returns the last A: line's integer", () => {
    assert.equal(extractArithAnswer("96-7=89\nA:89\n"), "89");
    assert.equal(extractArithAnswer("A:5\nA:7"), "7");
    assert.equal(extractArithAnswer("A: 063 \n"), "63");
    assert.equal(extractArithAnswer("A:-4"), "-4");
  });

  it("returns null without a well-formed A: line", () => {
    for (const t of ["", "96-7=89", "A:", "A:12x", "xA:12", "the answer is 12"]) {
      assert.equal(extractArithAnswer(t), null, t);
    }
  });
});
