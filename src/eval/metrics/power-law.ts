/**
 * The coverage scaling law of "Large Language Monkeys" (Brown et al., 2024): coverage with k samples
 * is well fit by c(k) ≈ exp(a·k^b) with a < 0 and b < 0, so c → 1 as k grows.
 */
import { ConfigError } from "../../core/errors.js";

/** A fitted coverage power law c(k) ≈ exp(a·k^b). */
export interface CoveragePowerLaw {
  a: number;
  b: number;
  /** Coefficient of determination of the linearised fit (in log(−log c) space). */
  r2: number;
  /** Points used (those with 0 < c < 1). */
  points: number;
}

/**
 * Fits c(k) ≈ exp(a·k^b) by least squares on the linearisation log(−log c) = log(−a) + b·log k.
 *
 * Points with c ≥ 1 or c ≤ 0 are left out: there −log c is 0 or ∞ and the linearisation is undefined.
 * Both are saturated measurements (every or no problem solved) that carry no information on the
 * slope; clamping them to 1 − ε would instead let ε decide the fit.
 *
 * @throws ConfigError on mismatched input, or fewer than two usable points with distinct k.
 */
export function fitCoveragePowerLaw(ks: readonly number[], coverage: readonly number[]): CoveragePowerLaw {
  if (ks.length !== coverage.length) {
    throw new ConfigError(`fitCoveragePowerLaw: ${ks.length} ks but ${coverage.length} coverage values`);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  ks.forEach((k, i) => {
    const c = coverage[i]!;
    if (!(k > 0) || !Number.isFinite(k) || !(c > 0 && c < 1)) return;
    xs.push(Math.log(k));
    ys.push(Math.log(-Math.log(c)));
  });
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  if (n < 2 || sxx === 0) {
    throw new ConfigError(
      "fitCoveragePowerLaw needs at least two points with 0 < coverage < 1 and distinct k",
    );
  }
  const b = sxy / sxx;
  const intercept = my - b * mx;
  const residual = syy - b * sxy;
  return { a: -Math.exp(intercept), b, r2: syy === 0 ? 1 : 1 - residual / syy, points: n };
}

/** Coverage predicted by a fitted law at k. */
export function predictCoverage(law: Pick<CoveragePowerLaw, "a" | "b">, k: number): number {
  return Math.exp(law.a * k ** law.b);
}
