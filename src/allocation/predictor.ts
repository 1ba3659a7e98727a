/**
 * The `predicted` difficulty estimator's model: a logistic regression from warm-up features
 * (src/allocation/features.ts) to the problem's solve rate — the oracle difficulty, which bins the
 * problems best but needs the gold answer. Fitting it on validation problems turns several weak
 * signals (agreement, the scorer's values, solution length) into one estimate that ranks problems
 * by how likely a sample is right. Pure: no I/O.
 */
import { ConfigError } from "../core/errors.js";
import type { WarmupFeature } from "./features.js";

/** A fitted predictor, as stored in a policy file. */
export interface DifficultyPredictor {
  features: WarmupFeature[];
  /** Per feature: the fitting problems' mean and standard deviation (1 where it did not vary). */
  center: number[];
  scale: number[];
  /** Per standardized feature: its weight; `intercept` is the log-odds at the mean. */
  weights: number[];
  intercept: number;
}

/** One fitting problem: its warm-up features and its solve rate (share of correct pool samples). */
export interface PredictorRow {
  x: readonly number[];
  /** In [0, 1]. */
  rate: number;
}

/** Options of {@link fitPredictor}. */
export interface PredictorOptions {
  /** L2 penalty on the standardized weights, in units of one problem's weight (default 1). */
  l2?: number;
  /** Newton iterations at most (default 50). */
  iterations?: number;
}

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

/** Solves `a x = b` (small dense system) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-12 ? 0 : row[n]! / row[i]!));
}

/**
 * Fits the predictor by penalised maximum likelihood (Newton's method): every problem weighs the
 * same, its solve rate is the target, the weights of the standardized features are shrunk by `l2`.
 *
 * @throws ConfigError without rows, or when a row's features do not match `features`.
 */
export function fitPredictor(
  features: readonly WarmupFeature[],
  rows: readonly PredictorRow[],
  options: PredictorOptions = {},
): DifficultyPredictor {
  if (rows.length === 0) throw new ConfigError("no problems to fit a difficulty predictor on");
  const d = features.length;
  for (const row of rows) {
    if (row.x.length !== d) throw new ConfigError(`a row has ${row.x.length} features, expected ${d}`);
  }
  const center = features.map((_, j) => rows.reduce((s, r) => s + r.x[j]!, 0) / rows.length);
  const scale = features.map((_, j) => {
    const variance = rows.reduce((s, r) => s + (r.x[j]! - center[j]!) ** 2, 0) / rows.length;
    return variance > 1e-18 ? Math.sqrt(variance) : 1;
  });
  const z = rows.map((r) => [1, ...r.x.map((v, j) => (v - center[j]!) / scale[j]!)]);
  const l2 = options.l2 ?? 1;
  const theta = new Array<number>(d + 1).fill(0);
  const meanRate = rows.reduce((s, r) => s + r.rate, 0) / rows.length;
  theta[0] = Math.log(Math.max(meanRate, 1e-6) / Math.max(1 - meanRate, 1e-6));
  for (let iteration = 0; iteration < (options.iterations ?? 50); iteration++) {
    const gradient = theta.map((t, j) => (j === 0 ? 0 : l2 * t));
    const hessian = theta.map((_, i) => theta.map((_, j) => (i === j ? (i === 0 ? 1e-9 : l2) : 0)));
    rows.forEach((row, i) => {
      const zi = z[i]!;
      const p = sigmoid(zi.reduce((s, v, j) => s + v * theta[j]!, 0));
      const w = p * (1 - p);
      for (let a = 0; a <= d; a++) {
        gradient[a]! += (p - row.rate) * zi[a]!;
        for (let b = 0; b <= d; b++) hessian[a]![b]! += w * zi[a]! * zi[b]!;
      }
    });
    const step = solve(hessian, gradient);
    let largest = 0;
    step.forEach((s, j) => {
      theta[j]! -= s;
      largest = Math.max(largest, Math.abs(s));
    });
    if (largest < 1e-9) break;
  }
  return { features: [...features], center, scale, weights: theta.slice(1), intercept: theta[0]! };
}

/** The predicted solve rate of a problem with warm-up features `x` (higher is easier). */
export function predictDifficulty(predictor: DifficultyPredictor, x: readonly number[]): number {
  if (x.length !== predictor.features.length) {
    throw new ConfigError(`expected ${predictor.features.length} features, got ${x.length}`);
  }
  let t = predictor.intercept;
  x.forEach((v, j) => {
    t += (predictor.weights[j]! * (v - predictor.center[j]!)) / predictor.scale[j]!;
  });
  return sigmoid(t);
}
