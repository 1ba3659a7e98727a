/**
 * Small numeric helpers shared by the estimators: validated integers, log-factorials and the
 * hypergeometric probability, all in floating point that cannot overflow (no raw binomials).
 */
import { ConfigError } from "../../core/errors.js";

/** Throws {@link ConfigError} unless `value` is an integer in [min, max]. */
export function requireInteger(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** `lf[i] = ln(i!)` for i = 0..n, summed exactly enough for n up to millions. */
export function logFactorials(n: number): Float64Array {
  const lf = new Float64Array(n + 1);
  for (let i = 2; i <= n; i++) lf[i] = lf[i - 1]! + Math.log(i);
  return lf;
}

/** ln C(a, b) from a log-factorial table; -Infinity when b is out of range. */
export function logBinomial(lf: Float64Array, a: number, b: number): number {
  if (b < 0 || b > a || a < 0) return Number.NEGATIVE_INFINITY;
  return lf[a]! - lf[b]! - lf[a - b]!;
}

/**
 * P(X = x) when `draws` items are drawn without replacement from `population` items of which
 * `successes` are marked: C(successes, x)·C(population − successes, draws − x) / C(population, draws).
 */
export function hypergeometric(
  lf: Float64Array,
  population: number,
  successes: number,
  draws: number,
  x: number,
): number {
  const l =
    logBinomial(lf, successes, x) +
    logBinomial(lf, population - successes, draws - x) -
    logBinomial(lf, population, draws);
  return l === Number.NEGATIVE_INFINITY ? 0 : Math.exp(l);
}

/** C(n, k) as a float (Infinity past ~1e308); used only to compare against work limits. */
export function binomialFloat(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const kk = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= kk; i++) {
    r = (r * (n - kk + i)) / i;
    if (!Number.isFinite(r)) return Number.POSITIVE_INFINITY;
  }
  return Math.round(r);
}

/** Calls `visit` with every k-subset of 0..n-1 (as a reused index array), in lexicographic order. */
export function forEachSubset(n: number, k: number, visit: (subset: readonly number[]) => void): void {
  const idx = Array.from({ length: k }, (_, i) => i);
  if (k > n) return;
  for (;;) {
    visit(idx);
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]!++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1;
  }
}
