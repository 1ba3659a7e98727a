import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { argmax, groupAnswers, majorityVote } from "../../src/strategies/vote.js";

const exact = (a: string, b: string) => a === b;
const numeric = (a: string, b: string) => Number(a) === Number(b);

describe("majorityVote", () => {
  test("picks the most frequent answer", () => {
    assert.equal(majorityVote(["3", "4", "4", null, "3", "4"], exact)?.answer, "4");
  });
  test("groups by equivalence, not by string", () => {
    const winner = majorityVote(["0.50", "1", ".5", "1.0", "0.5"], numeric);
    assert.equal(winner?.answer, "0.50");
    assert.deepEqual(winner?.members, [0, 2, 4]);
  });
  test("ties go to the answer seen first", () => {
    assert.equal(majorityVote(["7", "8", "8", "7"], exact)?.answer, "7");
    assert.equal(majorityVote(["8", "7", "7", "8"], exact)?.answer, "8");
  });
  test("null when nothing was extracted", () => {
    assert.equal(majorityVote([null, null], exact), null);
    assert.equal(majorityVote([], exact), null);
  });
  test("weights decide a weighted vote; NaN weights count as zero", () => {
    assert.equal(majorityVote(["a", "b", "b"], exact, [0.9, 0.3, 0.4])?.answer, "a");
    assert.equal(majorityVote(["a", "b"], exact, [Number.NaN, 0.1])?.answer, "b");
  });
  test("groupAnswers keeps first-appearance order", () => {
    assert.deepEqual(
      groupAnswers(["b", "a", "b"], exact).map((c) => c.answer),
      ["b", "a"],
    );
  });
});

describe("argmax", () => {
  test("NaN loses, ties go to the lowest index, empty is -1", () => {
    assert.equal(argmax([0.2, Number.NaN, 0.9, 0.9]), 2);
    assert.equal(argmax([Number.NaN, Number.NaN]), 0);
    assert.equal(argmax([]), -1);
  });
});
