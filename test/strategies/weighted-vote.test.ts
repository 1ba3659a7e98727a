import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { StrategyEvent } from "../../src/core/strategy.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { weightedMajority } from "../../src/strategies/vote.js";
import { usePolicy } from "../helpers/models.js";
import {
  arithOptions,
  arithProblems,
  candidateTokens,
  extractAnswer,
  RuleScorer,
  run,
  ScriptedModel,
  solution,
  useScorer,
} from "./fixtures.js";

const exact = (a: string, b: string) => a === b;
const c = (answer: string | null, score?: number) => ({ answer, ...(score !== undefined ? { score } : {}) });

describe("weightedMajority", () => {
  test("summed scores beat a larger but weaker class", () => {
    const w = weightedMajority([c("1", 0.9), c("2", 0.3), c("2", 0.3), c("1", 0.2), c("2", 0.1)], exact);
    assert.equal(w?.answer, "1");
    assert.ok(Math.abs(w!.weight - 1.1) < 1e-12);
    assert.equal(w?.fallback, false);
  });
  test("ties go to the class seen first", () => {
    assert.equal(weightedMajority([c("a", 0.5), c("b", 0.5)], exact)?.answer, "a");
    assert.equal(weightedMajority([c("b", 0.5), c("a", 0.5)], exact)?.answer, "b");
  });
  test("all-zero scores (an all-wrong verifier) fall back to the plain majority", () => {
    const w = weightedMajority([c("a", 0), c("b", 0), c("b", 0)], exact);
    assert.equal(w?.answer, "b");
    assert.equal(w?.fallback, true);
  });
  test("NaN and negative scores count as zero, missing scores too", () => {
    assert.equal(weightedMajority([c("a", Number.NaN), c("a", -5), c("b", 0.01)], exact)?.answer, "b");
    assert.equal(weightedMajority([c("a"), c("b", 0.2)], exact)?.answer, "b");
    assert.equal(weightedMajority([c("a", Number.NaN), c("b", Number.NaN), c("b")], exact)?.fallback, true);
  });
  test("candidates without an answer never win; none at all gives null", () => {
    assert.equal(weightedMajority([c(null, 0.99), c("x", 0.1)], exact)?.answer, "x");
    assert.equal(weightedMajority([c(null, 0.9), c(null, 0.8)], exact), null);
    assert.equal(weightedMajority([], exact), null);
  });
  test("max and mean aggregates", () => {
    const list = [c("a", 0.5), c("a", 0.5), c("a", 0.5), c("b", 0.9)];
    assert.equal(weightedMajority(list, exact, "sum")?.answer, "a");
    assert.equal(weightedMajority(list, exact, "max")?.answer, "b");
    assert.equal(weightedMajority(list, exact, "mean")?.answer, "b");
  });
});

describe("weighted-vote strategy (scripted)", () => {
  const answers = ["3", "4", "4", "3", null, "4", "5", "3"];
  const model = () => new ScriptedModel((i) => solution(answers[i % answers.length]!));
  // Trust answer 3 a lot, 4 a little.
  const scorer = new RuleScorer((s) =>
    extractAnswer(s) === "3" ? 0.9 : extractAnswer(s) === "4" ? 0.2 : 0.5,
  );

  test("picks the heaviest answer and records every candidate with its score", async () => {
    const result = await run(createStrategy("weighted-vote:n=8"), { model: model(), scorer });
    assert.equal(result.answer, "3");
    assert.equal(result.candidates.length, 8);
    assert.ok(result.candidates.every((x) => typeof x.score === "number"));
    assert.equal(result.candidates[result.chosen]!.answer, "3");
    assert.equal(result.stopReason, "completed");
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    const root = result.trace.find((n) => n.parent === null)!;
    assert.deepEqual(Object.keys(root.meta!.votes as object).sort(), ["3", "4", "5"]);
    assert.ok(
      result.trace.filter((n) => n.status === "selected").length === 3,
      "the 3 members of the winner",
    );
  });

  test("emits each candidate once, with its score", async () => {
    const events: StrategyEvent[] = [];
    await run(createStrategy("weighted-vote:n=8"), {
      model: model(),
      scorer,
      onEvent: (e) => events.push(e),
    });
    const candidates = events.filter((e) => e.type === "candidate");
    assert.equal(candidates.length, 8);
    assert.ok(candidates.every((e) => e.type === "candidate" && typeof e.candidate.score === "number"));
  });

  test("needs a scorer", async () => {
    await assert.rejects(run(createStrategy("weighted-vote"), { model: model() }), /needs a scorer/);
  });

  test("a budget too small for one round ends with stopReason budget", async () => {
    const result = await run(createStrategy("weighted-vote:n=8"), {
      model: model(),
      scorer,
      budget: { maxCompletionTokens: 4 },
    });
    assert.equal(result.stopReason, "budget");
    assert.equal(result.answer, null);
  });
});

describe("weighted-vote on the embedded model", () => {
  const policy = usePolicy(8);
  const scorer = useScorer();

  test("runs end to end: scores every candidate, the answer is the heaviest class", async () => {
    const [problem] = arithProblems(5, 1);
    const result = await runStrategy(
      createStrategy("weighted-vote:n=8"),
      problem!,
      arithOptions(policy(), { scorer: scorer() }),
    );
    assert.equal(result.candidates.length, 8);
    assert.ok(result.candidates.every((x) => Number.isFinite(x.score)));
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.ok(result.usage.completionTokens <= 8 * 60);
    if (result.answer !== null) {
      const weight = (a: string) =>
        result.candidates.filter((x) => x.answer === a).reduce((s, x) => s + Math.max(0, x.score!), 0);
      for (const other of result.candidates) {
        if (other.answer !== null) assert.ok(weight(result.answer) >= weight(other.answer) - 1e-9);
      }
    }
  });
});
