/**
 * pass@k and coverage: the probability that at least one of k samples is correct.
 */
import { ConfigError } from "../../core/errors.js";
import { requireInteger } from "./combinatorics.js";

/**
 * Unbiased pass@k estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on Code"):
 * with `n` samples of which `c` are correct, pass@k = 1 − C(n−c, k) / C(n, k), the probability that a
 * uniformly random k-subset of the n samples contains a correct one.
 *
 * Computed as the product 1 − Π_{i=n−c+1}^{n} (1 − k/i), which never forms a binomial coefficient and is
 * stable for any n (C(1000, 500) would overflow a double).
 *
 * @throws ConfigError unless 0 ≤ c ≤ n and 1 ≤ k ≤ n are integers.
 */
export function passAtK(n: number, c: number, k: number): number {
  requireInteger("n", n, 1);
  requireInteger("c", c, 0, n);
  requireInteger("k", k, 1, n);
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** One problem's sample counts: `n` samples, `c` of them correct. */
export interface SampleCounts {
  n: number;
  c: number;
}

/** One point of a coverage curve. */
export interface CoveragePoint {
  k: number;
  /** Mean pass@k over the problems. */
  coverage: number;
}

/**
 * Coverage (mean pass@k over problems) at each k: the y-axis of a repeated-sampling scaling plot.
 * Default ks: 1, 2, 4, … up to the smallest n, plus the smallest n itself.
 *
 * @throws ConfigError when there are no problems or a k exceeds some problem's n.
 */
export function coverageCurve(problems: readonly SampleCounts[], ks?: readonly number[]): CoveragePoint[] {
  if (problems.length === 0) throw new ConfigError("coverageCurve needs at least one problem");
  const minN = Math.min(...problems.map((p) => p.n));
  let points = ks;
  if (!points) {
    const auto: number[] = [];
    for (let k = 1; k <= minN; k *= 2) auto.push(k);
    if (auto[auto.length - 1] !== minN) auto.push(minN);
    points = auto;
  }
  return points.map((k) => {
    if (k > minN) {
      throw new ConfigError(`k = ${k} exceeds the smallest sample count n = ${minN}`, {
        hint: "draw more samples per problem or ask for smaller k",
      });
    }
    let sum = 0;
    for (const p of problems) sum += passAtK(p.n, p.c, k);
    return { k, coverage: sum / problems.length };
  });
}
