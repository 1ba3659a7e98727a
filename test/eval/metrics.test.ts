/** pass@k against its closed form and against enumeration, and the coverage curve built on it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { coverageCurve, passAtK } from "../../src/eval/metrics/index.js";
import { binom, close, subsets } from "./metrics-reference.js";

describe("passAtK", () => {
  it("matches the closed form 1 − C(n−c,k)/C(n,k)", () => {
    for (let n = 1; n <= 30; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          const exact = 1 - Number(binom(n - c, k)) / Number(binom(n, k));
          close(passAtK(n, c, k), exact, 1e-12, `n=${n} c=${c} k=${k}`);
        }
      }
    }
  });

  it("matches enumeration of all k-subsets", () => {
    for (let n = 1; n <= 10; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          const all = subsets(n, k);
          const hit = all.filter((s) => s.some((i) => i < c)).length / all.length;
          close(passAtK(n, c, k), hit, 1e-12, `n=${n} c=${c} k=${k}`);
        }
      }
    }
  });

  it("stays finite and accurate where binomials overflow", () => {
    close(passAtK(10000, 1, 5000), 0.5, 1e-12, "1 correct of 10000, k=5000");
    close(passAtK(1000, 10, 1), 0.01, 1e-15, "k=1 is c/n");
    assert.equal(passAtK(2000, 1000, 1001), 1);
    const p = passAtK(2000, 1000, 1000);
    assert.ok(Number.isFinite(p) && p > 1 - 1e-12 && p <= 1);
    assert.equal(passAtK(1000, 0, 500), 0);
    assert.equal(passAtK(5, 5, 1), 1);
  });

  it("rejects invalid arguments", () => {
    assert.throws(() => passAtK(5, 6, 1), ConfigError);
    assert.throws(() => passAtK(5, 1, 6), ConfigError);
    assert.throws(() => passAtK(5, 1, 0), ConfigError);
    assert.throws(() => passAtK(0, 0, 1), ConfigError);
    assert.throws(() => passAtK(5.5, 1, 1), ConfigError);
  });
});

describe("coverageCurve", () => {
  it("averages pass@k over problems at default and given ks", () => {
    const problems = [
      { n: 10, c: 0 },
      { n: 10, c: 3 },
      { n: 12, c: 12 },
    ];
    const curve = coverageCurve(problems);
    assert.deepEqual(
      curve.map((p) => p.k),
      [1, 2, 4, 8, 10],
    );
    for (const { k, coverage } of curve) {
      close(coverage, (0 + passAtK(10, 3, k) + 1) / 3, 1e-15, `k=${k}`);
    }
    assert.deepEqual(
      coverageCurve(problems, [3]).map((p) => p.k),
      [3],
    );
    assert.throws(() => coverageCurve(problems, [11]), ConfigError);
    assert.throws(() => coverageCurve([]), ConfigError);
  });
});
