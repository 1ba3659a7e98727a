import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { agreement } from "../../src/allocation/difficulty.js";
import { binEdges, binOfValue, fitAllocation, type ProblemOutcomes } from "../../src/allocation/fit.js";
import { ConfigError } from "../../src/core/errors.js";

const exact = (a: string, b: string) => a === b;
const value = (text: string) => {
  const [n, d] = text.split("/");
  return Number(n) / Number(d ?? 1);
};

/** `count` problems of one difficulty whose strategies score and cost as given. */
function problems(
  count: number,
  difficulty: number,
  actions: Record<string, [correct: number, tokens: number]>,
  prefix: string,
): ProblemOutcomes[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    difficulty,
    actions: Object.fromEntries(
      Object.entries(actions).map(([k, [correct, tokens]]) => [k, { correct, tokens }]),
    ),
  }));
}

describe("difficulty estimates", () => {
  test("agreement is the largest answer class's share; missing answers count against it", () => {
    assert.equal(agreement(["4", "4", "5", "4"], exact), 0.75);
    assert.equal(agreement(["4", null, null, null], exact), 0.25);
    assert.equal(agreement([null, null], exact), 0);
    assert.equal(
      agreement(["0.5", "1/2"], (a, b) => value(a) === value(b)),
      1,
    );
  });
});

describe("binning", () => {
  test("few distinct values give one bin each; many give quantile bins", () => {
    assert.deepEqual(binEdges([0.5, 1, 0.25, 1, 0.5], 6), [0.5, 1]);
    const many = Array.from({ length: 100 }, (_, i) => i);
    assert.deepEqual(binEdges(many, 4), [25, 50, 75]);
    assert.equal(binOfValue([25, 50, 75], 24.9), 0);
    assert.equal(binOfValue([25, 50, 75], 25), 1);
    assert.equal(binOfValue([25, 50, 75], 99), 3);
    assert.equal(binOfValue([25, 50, 75], Number.NaN), 0, "no estimate: the hardest bin");
  });
});

describe("fitAllocation", () => {
  // Easy problems (agreement 1): the cheap strategy is right. Hard ones (agreement 0.5): only the
  // expensive one is. Medium (0.75): the middle one is right, the cheap one half the time.
  const data = [
    ...problems(10, 1, { cheap: [1, 10], mid: [1, 40], dear: [1, 100] }, "easy"),
    ...problems(10, 0.75, { cheap: [0.5, 10], mid: [1, 40], dear: [1, 100] }, "mid"),
    ...problems(10, 0.5, { cheap: [0, 10], mid: [0, 40], dear: [1, 100] }, "hard"),
  ];

  test("a budget that affords the optimum gets it: cheap for easy, mid for medium, dear for hard", () => {
    const fit = fitAllocation(data, { budgetTokens: 50 });
    assert.deepEqual(
      fit.bins.map((b) => [b.from, b.strategy]),
      [
        [null, "dear"],
        [0.75, "mid"],
        [1, "cheap"],
      ],
    );
    assert.equal(fit.accuracy, 1);
    assert.equal(fit.tokens, 50);
  });

  test("a tighter budget gives up the cheapest accuracy first and is respected", () => {
    // 49 tokens: the optimum above (50) no longer fits. Medium problems on cheap keeps the hard ones
    // right: (10 + 5 + 10) / 30 at 40 tokens; hard on mid instead would lose all ten of them.
    const fit = fitAllocation(data, { budgetTokens: 49 });
    assert.ok(fit.tokens <= 49);
    assert.deepEqual(
      fit.bins.map((b) => b.strategy),
      ["dear", "cheap", "cheap"],
    );
    assert.equal(fit.accuracy, 25 / 30);
    // Exhaustive check: no assignment within budget does better.
    const names = ["cheap", "mid", "dear"];
    let best = 0;
    for (const a of names)
      for (const b of names)
        for (const c of names) {
          const pick = [a, b, c];
          const groups = [data.slice(20), data.slice(10, 20), data.slice(0, 10)];
          let correct = 0;
          let tokens = 0;
          groups.forEach((g, i) => {
            for (const p of g) {
              correct += p.actions[pick[i]!]!.correct;
              tokens += p.actions[pick[i]!]!.tokens;
            }
          });
          if (tokens / 30 <= 49) best = Math.max(best, correct / 30);
        }
    assert.equal(fit.accuracy, best);
  });

  test("a budget below the cheapest policy is refused with its cost", () => {
    assert.throws(
      () => fitAllocation(data, { budgetTokens: 9 }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /below the cheapest policy \(10\.0 tokens per problem/);
        return true;
      },
    );
  });

  test("every budget from the cheapest to the dearest is respected on the fitting problems", () => {
    for (let budget = 10; budget <= 100; budget += 3) {
      const fit = fitAllocation(data, { budgetTokens: budget });
      assert.ok(fit.tokens <= budget + 1e-9, `budget ${budget}: ${fit.tokens}`);
      const recomputed =
        data.reduce((sum, p) => {
          const bin = fit.bins.findLastIndex((b) => b.from === null || p.difficulty >= b.from);
          return sum + p.actions[fit.bins[bin]!.strategy]!.tokens;
        }, 0) / data.length;
      assert.equal(recomputed, fit.tokens);
    }
  });
});
