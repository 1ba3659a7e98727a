import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, ScorerRequiredError } from "../../src/core/errors.js";
import { resolveScorer } from "../../src/core/resolve-scorer.js";
import type { StrategyContext } from "../../src/core/strategy.js";
import { createStrategy } from "../../src/strategies/registry.js";

const greedy = createStrategy("greedy");
const bon = createStrategy("bon:n=4");

describe("resolveScorer", () => {
  test("a given scorer is used whether or not a strategy needs one", () => {
    assert.equal(resolveScorer(greedy, { given: "verifier:arith", hint: "h" }), "verifier:arith");
    assert.equal(resolveScorer([greedy, bon], { given: "prm", fallback: "genprm", hint: "h" }), "prm");
  });

  test("without one: the fallback when a strategy needs a scorer, else none", () => {
    assert.equal(resolveScorer([greedy, bon], { fallback: "genprm", hint: "h" }), "genprm");
    assert.equal(resolveScorer(greedy, { fallback: "genprm", hint: "h" }), undefined);
    assert.equal(resolveScorer([], { hint: "h" }), undefined);
  });

  test("a needed scorer that nobody gives is one typed error naming the strategies that need it", () => {
    assert.throws(
      () => resolveScorer([greedy, bon], { hint: "pass --scorer SPEC" }),
      (error: unknown) => {
        assert.ok(error instanceof ScorerRequiredError);
        assert.ok(error instanceof ConfigError, "callers that handle ConfigError keep working");
        assert.deepEqual(error.strategies, [bon.spec]);
        assert.equal(error.message, `strategy ${bon.spec} needs a scorer — pass --scorer SPEC`);
        assert.equal(error.hint, "pass --scorer SPEC");
        return true;
      },
    );
    const beam = createStrategy("beam");
    assert.throws(
      () => resolveScorer([bon, greedy, beam], { hint: "h" }),
      (error: unknown) =>
        error instanceof ScorerRequiredError &&
        error.message === `strategies ${bon.spec}, ${beam.spec} need a scorer — h`,
    );
  });

  test("strategies that run without one fail with the same error", async () => {
    // A context without a scorer: each strategy's own check is the first thing its run does.
    const ctx = {} as StrategyContext;
    for (const spec of [
      "bon:n=2",
      "weighted-vote",
      "beam",
      "mcts",
      "early-reject",
      "speculative-rejection",
    ]) {
      await assert.rejects(createStrategy(spec).run({ prompt: "p" }, ctx), ScorerRequiredError, spec);
    }
  });
});
