import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../src/core/rng.js";
import type { Candidate, StrategyContext } from "../../src/core/strategy.js";
import { editSimilarity, jaccard, mbr, mbrSelect, similarities } from "../../src/strategies/mbr.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, run, ScriptedModel, solution } from "./fixtures.js";

const ctx = { sameAnswer: (a: string, b: string) => a === b, rng: new Rng(0) } as unknown as StrategyContext;
const cand = (text: string, answer: string | null): Candidate => ({
  text,
  answer,
  completionTokens: text.length,
  finishReason: "stop",
});

describe("similarities", () => {
  test("answer equivalence, line and word Jaccard, edit similarity", () => {
    assert.equal(similarities.answer(cand("", "1"), cand("", "1"), ctx), 1);
    assert.equal(similarities.answer(cand("", "1"), cand("", "2"), ctx), 0);
    assert.equal(
      similarities.answer(cand("", null), cand("", null), ctx),
      0,
      "missing answers agree on nothing",
    );
    assert.equal(similarities.lines(cand("a\nb\n", null), cand("a\nc\n", null), ctx), 1 / 3);
    assert.equal(similarities.words(cand("x y", null), cand("y x", null), ctx), 1);
    assert.equal(jaccard(new Set(), new Set()), 1);
    assert.equal(editSimilarity("kitten", "sitting"), 1 - 3 / 7);
    assert.equal(editSimilarity("", ""), 1);
    assert.equal(editSimilarity("abc", ""), 0);
  });
});

describe("mbrSelect", () => {
  test("the candidate closest to all others; with answer similarity, a majority member", () => {
    const list = [cand("a", "1"), cand("b", "2"), cand("c", "2"), cand("d", "3")];
    const { chosen, utilities } = mbrSelect(list, similarities.answer, ctx);
    assert.equal(chosen, 1);
    assert.deepEqual(utilities, [0, 1, 1, 0]);
  });
  test("ties go to the earliest; NaN similarities count as 0; empty gives -1", () => {
    const list = [cand("a", "1"), cand("b", "2")];
    assert.equal(mbrSelect(list, () => Number.NaN, ctx).chosen, 0);
    assert.equal(mbrSelect([], similarities.answer, ctx).chosen, -1);
  });
  test("a pluggable similarity", () => {
    const list = [cand("1+1=2\nA:2", "2"), cand("1+1=3\nA:3", "3"), cand("1+1=2\nA:3", "3")];
    // By whole lines, the mixed solution shares a line with each of the others.
    assert.equal(mbrSelect(list, similarities.lines, ctx).chosen, 2);
    // By answer, 3 wins too but its first member comes first.
    assert.equal(mbrSelect(list, similarities.answer, ctx).chosen, 1);
    // Lengths 1, 3 and 6: utilities 1/3 + 1/6, 1/3 + 1/4 and 1/6 + 1/4; the middle one is closest.
    const byLength = (a: Candidate, b: Candidate) => 1 / (1 + Math.abs(a.text.length - b.text.length));
    const sized = [cand("a", null), cand("aaa", null), cand("aaaaaa", null)];
    const { chosen, utilities } = mbrSelect(sized, byLength, ctx);
    assert.equal(chosen, 1);
    for (const [i, u] of [0.5, 7 / 12, 5 / 12].entries()) {
      assert.ok(Math.abs(utilities[i]! - u) < 1e-12, `${utilities}`);
    }
  });
});

describe("mbr strategy", () => {
  test("scripted: picks a representative of the majority answer", async () => {
    const answers = ["4", "5", "5", null, "4", "5"];
    const model = new ScriptedModel((i) => solution(answers[i]!));
    const result = await run(createStrategy("mbr:n=6"), { model });
    assert.equal(result.answer, "5");
    assert.equal(result.chosen, 1);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    const root = result.trace.find((n) => n.parent === null)!;
    assert.equal((root.meta!.utilities as number[]).length, 6);
  });
  test("a function similarity through the library API", async () => {
    const model = new ScriptedModel((i) => solution(String(i), "x".repeat(i)));
    const strategy = mbr({
      n: 5,
      temperature: 0.8,
      topP: 1,
      topK: 0,
      similarity: (a, b) => 1 / (1 + Math.abs(a.text.length - b.text.length)),
    });
    const result = await run(strategy, { model });
    assert.equal(result.answer, "2", "the middle length is closest to all");
  });
});

describe("mbr on the embedded model", () => {
  const policy = usePolicy(8);
  test("answer and text similarities run end to end and pick the highest utility", async () => {
    const [problem] = arithProblems(5, 1);
    for (const similarity of ["answer", "lines", "edit"]) {
      const result = await runStrategy(
        createStrategy(`mbr:n=6,similarity=${similarity}`),
        problem!,
        arithOptions(policy()),
      );
      assert.equal(result.candidates.length, 6);
      const utilities = result.trace.find((n) => n.parent === null)!.meta!.utilities as number[];
      // Each utility sums five similarities in [0, 1]; the chosen one is the first of the highest.
      for (const u of utilities) assert.ok(u >= 0 && u <= 5, `${similarity}: ${utilities}`);
      assert.equal(result.chosen, utilities.indexOf(Math.max(...utilities)), `${similarity}: ${utilities}`);
      assert.equal(result.output, result.candidates[result.chosen]!.text);
      assert.equal(result.usage.completionTokens, candidateTokens(result));
      if (similarity === "answer") {
        // A candidate's utility is the number of others with its (extracted) answer; the chosen one
        // holds the majority answer.
        const answers = result.candidates.map((c) => c.answer);
        const same = answers.map((a, i) => answers.filter((b, j) => j !== i && a !== null && a === b).length);
        assert.deepEqual(utilities, same);
        assert.equal(result.answer, answers[same.indexOf(Math.max(...same))]);
      }
    }
  });
});
