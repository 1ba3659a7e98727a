/** maj@k, weighted maj@k and BoN@k against brute force over every k-subset of random small pools. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { bestOfNAtK, majorityAtK, weightedMajorityAtK } from "../../src/eval/metrics/index.js";
import { bruteBestOf, bruteMajority, bruteWeighted, close, randomPool } from "./metrics-reference.js";

describe("majorityAtK", () => {
  it("equals exhaustive enumeration on random small pools (ties and nulls included)", () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 150; trial++) {
      const n = 1 + rng.int(10);
      const k = 1 + rng.int(n);
      const { answers, correct } = randomPool(rng, n);
      const expected = bruteMajority(answers, correct, k);
      for (const method of ["exact", "enumeration", "auto"] as const) {
        const est = majorityAtK(answers, correct, k, { method });
        close(est.value, expected, 1e-12, `${method} n=${n} k=${k} ${JSON.stringify(answers)}`);
        assert.equal(est.stderr, 0);
      }
    }
  });

  it("Monte-Carlo agrees within its standard error", () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 10; trial++) {
      const n = 6 + rng.int(5);
      const k = 1 + rng.int(n);
      const { answers, correct } = randomPool(rng, n);
      const expected = bruteMajority(answers, correct, k);
      const est = majorityAtK(answers, correct, k, { method: "monte-carlo", samples: 20000, seed: trial });
      assert.equal(est.method, "monte-carlo");
      assert.equal(est.samples, 20000);
      assert.ok(
        Math.abs(est.value - expected) <= 5 * est.stderr + 1e-9,
        `${est.value} ± ${est.stderr} vs ${expected}`,
      );
    }
  });

  it("handles the textbook cases", () => {
    // One sample: maj@1 is plain accuracy.
    close(majorityAtK(["a", "b", "a", null], [true, false, true, false], 1).value, 0.5, 1e-15, "maj@1");
    // Nulls never win: with k = n the vote is a vs b, 2 to 1.
    close(
      majorityAtK(["a", null, null, "b", "a"], [true, false, false, false, true], 5).value,
      1,
      1e-15,
      "nulls",
    );
    // All null: 0.
    assert.equal(majorityAtK([null, null], [false, false], 2).value, 0);
    // A 1-1 tie between a right and a wrong answer is worth 1/2.
    close(majorityAtK(["a", "b"], [true, false], 2).value, 0.5, 1e-15, "tie");
    // Inconsistent marks inside a class count as the class's fraction correct.
    close(majorityAtK(["a", "a"], [true, false], 2).value, 0.5, 1e-15, "fraction");
  });

  it("groups answers with a custom equivalence", () => {
    const equal = (a: string, b: string): boolean => Number(a) === Number(b);
    const answers = ["0.5", ".5", "0.50", "1", "2"];
    const correct = [true, true, true, false, false];
    assert.equal(majorityAtK(answers, correct, 5, { equal }).value, 1);
    // Without it, five distinct answers tie 5 ways: 3/5 of them are correct.
    close(majorityAtK(answers, correct, 5).value, 3 / 5, 1e-15, "no equal");
  });

  it("chooses exact counting when affordable and Monte-Carlo when not", () => {
    const rng = new Rng(3);
    const mid = randomPool(rng, 40);
    const exact = majorityAtK(mid.answers, mid.correct, 20);
    assert.equal(exact.method, "exact");
    const mc = majorityAtK(mid.answers, mid.correct, 20, { method: "monte-carlo", samples: 20000 });
    assert.ok(
      Math.abs(mc.value - exact.value) <= 5 * mc.stderr + 1e-9,
      `${mc.value} ± ${mc.stderr} vs ${exact.value}`,
    );

    const answers = Array.from({ length: 1000 }, (_, i) => String(i % 97));
    const correct = answers.map((a) => a === "3");
    const start = performance.now();
    const big = majorityAtK(answers, correct, 500, { samples: 2000 });
    assert.equal(big.method, "monte-carlo");
    assert.ok(big.stderr >= 0 && big.value >= 0 && big.value <= 1);
    assert.ok(performance.now() - start < 5000);
  });

  it("is deterministic under a seed and rejects bad input", () => {
    const a = ["x", "y", "x", "z", "y", "x"];
    const c = [true, false, true, false, false, true];
    const o = { method: "monte-carlo" as const, samples: 500, seed: 5 };
    assert.deepEqual(majorityAtK(a, c, 3, o), majorityAtK(a, c, 3, o));
    assert.throws(() => majorityAtK(a, c.slice(1), 3), ConfigError);
    assert.throws(() => majorityAtK(a, c, 7), ConfigError);
    assert.throws(() => majorityAtK([], [], 1), ConfigError);
  });
});

describe("weightedMajorityAtK", () => {
  it("equals exhaustive enumeration on random small pools (ties and nulls included)", () => {
    const rng = new Rng(19);
    for (let trial = 0; trial < 150; trial++) {
      const n = 1 + rng.int(10);
      const k = 1 + rng.int(n);
      const { answers, correct, scores } = randomPool(rng, n);
      const expected = bruteWeighted(answers, scores, correct, k);
      const est = weightedMajorityAtK(answers, scores, correct, k);
      assert.equal(est.method, "enumeration");
      close(est.value, expected, 1e-12, `n=${n} k=${k}`);
    }
  });

  it("Monte-Carlo agrees within its standard error", () => {
    const rng = new Rng(23);
    for (let trial = 0; trial < 10; trial++) {
      const n = 6 + rng.int(5);
      const k = 1 + rng.int(n);
      const { answers, correct, scores } = randomPool(rng, n);
      const expected = bruteWeighted(answers, scores, correct, k);
      const est = weightedMajorityAtK(answers, scores, correct, k, {
        exactLimit: 0,
        samples: 20000,
        seed: trial,
      });
      assert.equal(est.method, "monte-carlo");
      assert.ok(
        Math.abs(est.value - expected) <= 5 * est.stderr + 1e-9,
        `${est.value} ± ${est.stderr} vs ${expected}`,
      );
    }
  });

  it("weights can overturn a head count", () => {
    // Two weak votes for the wrong answer against one strong vote for the right one.
    close(
      weightedMajorityAtK(["b", "b", "a"], [0.1, 0.1, 0.9], [false, false, true], 3).value,
      1,
      1e-15,
      "weights",
    );
    close(majorityAtK(["b", "b", "a"], [false, false, true], 3).value, 0, 1e-15, "counts");
    assert.throws(() => weightedMajorityAtK(["a"], [Number.NaN], [true], 1), ConfigError);
  });
});

describe("bestOfNAtK", () => {
  it("equals exhaustive enumeration on random small pools (ties included)", () => {
    const rng = new Rng(29);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(10);
      const k = 1 + rng.int(n);
      const { correct, scores } = randomPool(rng, n);
      const est = bestOfNAtK(scores, correct, k);
      assert.equal(est.method, "exact");
      close(est.value, bruteBestOf(scores, correct, k), 1e-12, `n=${n} k=${k} ${JSON.stringify(scores)}`);
    }
  });

  it("handles the textbook cases and large pools", () => {
    // k = 1 is plain accuracy; k = n picks the top score.
    close(bestOfNAtK([0.1, 0.9, 0.5], [false, true, false], 1).value, 1 / 3, 1e-15, "k=1");
    close(bestOfNAtK([0.1, 0.9, 0.5], [false, true, false], 3).value, 1, 1e-15, "k=n");
    // A tie at the top between a right and a wrong candidate is worth 1/2.
    close(bestOfNAtK([1, 1], [true, false], 2).value, 0.5, 1e-15, "tie");
    // NaN ranks lowest.
    close(bestOfNAtK([Number.NaN, 0], [true, false], 2).value, 0, 1e-15, "NaN");
    // Large pool: the only correct sample is the top-scored one, so BoN@k = P(it is drawn) = k/n.
    const n = 5000;
    const scores = Array.from({ length: n }, (_, i) => i);
    const correct = scores.map((i) => i === n - 1);
    close(bestOfNAtK(scores, correct, 2500).value, 0.5, 1e-12, "large");
  });
});
