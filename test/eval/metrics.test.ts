import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { Rng } from "../../src/core/rng.js";
import {
  bestOfNAtK,
  bootstrapCI,
  coverageCurve,
  fitCoveragePowerLaw,
  majorityAtK,
  mean,
  passAtK,
  predictCoverage,
  problemCost,
  sequenceCost,
  weightedMajorityAtK,
} from "../../src/eval/metrics/index.js";

// ---- independent brute force over all k-subsets -------------------------------------------------

function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** Class correctness as documented: fraction of the pool's members of that answer that are correct. */
function classCorrectness(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
): Map<string, number> {
  const hits = new Map<string, [number, number]>();
  answers.forEach((a, i) => {
    if (a === null) return;
    const h = hits.get(a) ?? [0, 0];
    h[0] += correct[i] ? 1 : 0;
    h[1] += 1;
    hits.set(a, h);
  });
  return new Map([...hits].map(([a, [c, t]]) => [a, c / t]));
}

/** Weighted vote of one subset with uniform tie-breaking in expectation; null answers never win. */
function voteOnSubset(
  subset: readonly number[],
  answers: readonly (string | null)[],
  weight: (i: number) => number,
  corr: Map<string, number>,
): number {
  const w = new Map<string, number>();
  for (const i of subset) {
    const a = answers[i];
    if (a === null || a === undefined) continue;
    w.set(a, (w.get(a) ?? 0) + weight(i));
  }
  if (w.size === 0) return 0;
  const best = Math.max(...w.values());
  const tied = [...w].filter(([, v]) => Math.abs(v - best) <= 1e-12 * Math.max(1, Math.abs(best)));
  return tied.reduce((s, [a]) => s + corr.get(a)!, 0) / tied.length;
}

function bruteMajority(answers: readonly (string | null)[], correct: readonly boolean[], k: number): number {
  const corr = classCorrectness(answers, correct);
  const all = subsets(answers.length, k);
  return all.reduce((s, sub) => s + voteOnSubset(sub, answers, () => 1, corr), 0) / all.length;
}

function bruteWeighted(
  answers: readonly (string | null)[],
  scores: readonly number[],
  correct: readonly boolean[],
  k: number,
): number {
  const corr = classCorrectness(answers, correct);
  const all = subsets(answers.length, k);
  return all.reduce((s, sub) => s + voteOnSubset(sub, answers, (i) => scores[i]!, corr), 0) / all.length;
}

function bruteBestOf(scores: readonly number[], correct: readonly boolean[], k: number): number {
  const all = subsets(scores.length, k);
  let total = 0;
  for (const sub of all) {
    const best = Math.max(...sub.map((i) => scores[i]!));
    const tied = sub.filter((i) => scores[i] === best);
    total += tied.filter((i) => correct[i]).length / tied.length;
  }
  return total / all.length;
}

function randomPool(
  rng: Rng,
  n: number,
): { answers: (string | null)[]; correct: boolean[]; scores: number[] } {
  const alphabet = ["a", "b", "c", "d", null];
  const weights = alphabet.map(() => rng.next() + 0.05);
  const answers = Array.from({ length: n }, () => alphabet[rng.weighted(weights)]!);
  const right = new Set(["a", ...(rng.next() < 0.3 ? ["c"] : [])]);
  const correct = answers.map((a) => a !== null && right.has(a));
  // Coarse scores so that ties happen.
  const scores = answers.map(() => [0.5, 1, 1.5, 2][rng.int(4)]!);
  return { answers, correct, scores };
}

const close = (actual: number, expected: number, tol: number, msg: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${msg}: ${actual} vs ${expected}`);

// ---- pass@k -------------------------------------------------------------------------------------

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

// ---- maj@k, weighted maj@k, BoN@k ---------------------------------------------------------------

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

// ---- bootstrap ----------------------------------------------------------------------------------

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

// ---- coverage power law -------------------------------------------------------------------------

describe("fitCoveragePowerLaw", () => {
  const ks = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

  it("recovers a and b from exact synthetic data", () => {
    for (const [a, b] of [
      [-2, -0.5],
      [-0.7, -0.3],
      [-4, -0.9],
    ] as const) {
      const cov = ks.map((k) => Math.exp(a * k ** b));
      const fit = fitCoveragePowerLaw(ks, cov);
      close(fit.a, a, 1e-9, "a");
      close(fit.b, b, 1e-9, "b");
      close(fit.r2, 1, 1e-12, "r2");
      close(predictCoverage(fit, 100), Math.exp(a * 100 ** b), 1e-9, "predict");
    }
  });

  it("recovers them approximately from noisy data", () => {
    const rng = new Rng(5);
    const cov = ks.map((k) => Math.exp(-2 * k ** -0.5 * (1 + 0.02 * (rng.next() - 0.5))));
    const fit = fitCoveragePowerLaw(ks, cov);
    close(fit.a, -2, 0.05, "a");
    close(fit.b, -0.5, 0.02, "b");
    assert.ok(fit.r2 > 0.99);
  });

  it("leaves out saturated points and rejects too few", () => {
    const cov = ks.map((k) => Math.exp(-2 * k ** -0.5));
    const fit = fitCoveragePowerLaw([...ks, 2048, 4096], [...cov, 1, 0]);
    assert.equal(fit.points, ks.length);
    close(fit.b, -0.5, 1e-9, "b");
    assert.throws(() => fitCoveragePowerLaw([1, 2], [0.5, 1]), ConfigError);
    assert.throws(() => fitCoveragePowerLaw([4, 4], [0.5, 0.6]), ConfigError);
    assert.throws(() => fitCoveragePowerLaw([1, 2], [0.5]), ConfigError);
  });
});

// ---- cost -----------------------------------------------------------------------------------------

describe("sequenceCost / problemCost", () => {
  const model = { params: 1e9, layers: 16, dModel: 2048, kvDim: 512, bytesPerParam: 2 };

  it("matches the per-token sums", () => {
    const p = 100;
    const g = 50;
    let attention = 0;
    for (let t = 1; t <= p + g; t++) attention += 2 * model.layers * t * model.dModel;
    let kv = 0;
    for (let j = 1; j <= g; j++) kv += 2 * model.layers * model.kvDim * (p + j) * 2;
    const weights = model.params * 2 * (g + 1);
    const c = sequenceCost(model, { promptTokens: p, generatedTokens: g }, { intensity: 100 });
    assert.equal(c.denseFlops, 2 * model.params * (p + g));
    close(c.attentionFlops, attention, 1e-6, "attention");
    close(c.flops, c.denseFlops + attention, 1e-3, "flops");
    close(c.bytes, weights + kv, 1e-3, "bytes");
    close(c.eflops, c.flops + 100 * c.bytes, 1e3, "eflops");
  });

  it("amortises weight reads over the batch and sums sequences", () => {
    const seq = { promptTokens: 10, generatedTokens: 1000 };
    const one = sequenceCost(model, seq);
    const batched = sequenceCost(model, seq, { batchSize: 8 });
    assert.ok(batched.bytes < one.bytes);
    assert.equal(batched.flops, one.flops);
    const total = problemCost(model, [seq, seq, seq]);
    close(total.eflops, 3 * one.eflops, 1, "sum");
    // KV-cache reads grow quadratically with generation length, weight reads only linearly.
    const kvBytes = (g: number): number =>
      sequenceCost(model, { promptTokens: 0, generatedTokens: g }).bytes - model.params * 2 * (g + 1);
    close(kvBytes(20000) / kvBytes(10000), 4, 1e-3, "quadratic KV traffic");
    assert.throws(() => sequenceCost({ ...model, layers: 0 }, seq), ConfigError);
    assert.throws(() => sequenceCost(model, { promptTokens: -1, generatedTokens: 1 }), ConfigError);
  });
});
