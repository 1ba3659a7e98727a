/** Bootstrap confidence intervals: coverage of the estimate, width, seeding and alpha. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import { bootstrapCI, mean, passAtK } from "../../src/eval/metrics/index.js";

describe("bootstrapCI", () => {
  const data = (n: number, seed: number): number[] => {
    const rng = new Rng(seed);
    return Array.from({ length: n }, () => (rng.next() < 0.6 ? 1 : 0));
  };

  it("contains the mean and narrows with more data", () => {
    const small = data(100, 1);
    const large = data(2000, 2);
    const a = bootstrapCI(small, mean, { samples: 2000, seed: 3 });
    const b = bootstrapCI(large, mean, { samples: 2000, seed: 3 });
    assert.equal(a.estimate, mean(small));
    assert.ok(a.lower <= a.estimate && a.estimate <= a.upper);
    assert.ok(b.lower <= b.estimate && b.estimate <= b.upper);
    assert.ok(b.upper - b.lower < (a.upper - a.lower) / 2, "20x the data should more than halve the width");
    // Roughly the normal-theory width 2·1.96·sqrt(p(1-p)/n).
    const normal = 2 * 1.96 * Math.sqrt((a.estimate * (1 - a.estimate)) / small.length);
    assert.ok(Math.abs(a.upper - a.lower - normal) < 0.3 * normal);
  });

  it("is reproducible from its seed and honours alpha", () => {
    const v = data(200, 4);
    assert.deepEqual(bootstrapCI(v, mean, { seed: 9 }), bootstrapCI(v, mean, { seed: 9 }));
    const wide = bootstrapCI(v, mean, { alpha: 0.01, seed: 9 });
    const narrow = bootstrapCI(v, mean, { alpha: 0.2, seed: 9 });
    assert.ok(wide.upper - wide.lower > narrow.upper - narrow.lower);
  });

  it("works with any per-problem record and statistic", () => {
    const problems = [
      { n: 4, c: 1 },
      { n: 4, c: 4 },
      { n: 4, c: 0 },
      { n: 4, c: 2 },
    ];
    const stat = (ps: readonly { n: number; c: number }[]): number =>
      mean(ps.map((p) => passAtK(p.n, p.c, 2)));
    const ci = bootstrapCI(problems, stat, { samples: 500 });
    assert.ok(ci.lower <= ci.estimate && ci.estimate <= ci.upper);
    assert.throws(() => bootstrapCI([], mean), ConfigError);
    assert.throws(() => bootstrapCI([1], mean, { alpha: 1 }), ConfigError);
  });
});
