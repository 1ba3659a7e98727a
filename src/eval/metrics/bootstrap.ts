/**
 * Percentile bootstrap confidence intervals over problems.
 */
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { requireInteger } from "./combinatorics.js";

/** Options of {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Bootstrap resamples (default 2000). */
  samples?: number;
  /** 1 − confidence level (default 0.05 for a 95% interval). */
  alpha?: number;
  /** Seed of the resampling (default 0): the same inputs and seed give the same interval. */
  seed?: number;
}

/** A point estimate with its confidence interval. */
export interface ConfidenceInterval {
  /** The statistic on the full data. */
  estimate: number;
  lower: number;
  upper: number;
  alpha: number;
  samples: number;
}

/** The arithmetic mean (the usual statistic: accuracy over problems). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Linear-interpolation quantile (type 7, as numpy's default) of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Percentile bootstrap CI of `statistic` over `values` (one entry per problem — resampling problems,
 * not samples, because problems are the independent units of an evaluation). Resamples n values with
 * replacement `samples` times with a seeded generator and takes the α/2 and 1−α/2 quantiles of the
 * statistic.
 *
 * @throws ConfigError on empty input, alpha outside (0, 1), or fewer than 2 resamples.
 */
export function bootstrapCI<T>(
  values: readonly T[],
  statistic: (sample: readonly T[]) => number,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const n = values.length;
  if (n === 0) throw new ConfigError("bootstrapCI needs at least one value");
  const samples = options.samples ?? 2000;
  const alpha = options.alpha ?? 0.05;
  requireInteger("samples", samples, 2);
  if (!(alpha > 0 && alpha < 1)) throw new ConfigError(`alpha must be in (0, 1), got ${alpha}`);
  const rng = new Rng(options.seed ?? 0);
  const stats = new Float64Array(samples);
  const resample = new Array<T>(n);
  for (let b = 0; b < samples; b++) {
    for (let i = 0; i < n; i++) resample[i] = values[rng.int(n)]!;
    stats[b] = statistic(resample);
  }
  stats.sort();
  return {
    estimate: statistic(values),
    lower: quantile(stats, alpha / 2),
    upper: quantile(stats, 1 - alpha / 2),
    alpha,
    samples,
  };
}
