/**
 * Expected accuracy of voting and selection rules as a function of the number of samples k, estimated
 * from one pool of n ≥ k samples per problem: maj@k (majority vote), weighted maj@k (score-weighted
 * vote) and BoN@k (best-of-k by a scorer). Each is the expectation over uniformly random size-k subsets
 * of the pool, drawn without replacement — the same convention as the unbiased pass@k — so curves for
 * all k come from a single pool and do not depend on the order samples were drawn in.
 *
 * Conventions (they change numbers, so they are fixed here):
 * - An answer of `null` (nothing extracted) never wins a vote; a subset with only nulls scores 0.
 * - Ties are broken uniformly at random, in expectation: a subset whose vote ties between t classes
 *   scores the mean correctness of those t classes. The same for tied scores in BoN.
 * - Answers form classes by exact string equality, or by `equal` (e.g. `mathEqual`) when given; with
 *   `equal`, a sample joins the first class whose first member it equals. A class's correctness is the
 *   fraction of its members marked correct (members of one class normally agree).
 */
import { ConfigError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import {
  binomialFloat,
  forEachSubset,
  hypergeometric,
  logFactorials,
  requireInteger,
} from "./combinatorics.js";

/** How an estimate was computed. */
export type EstimateMethod = "exact" | "enumeration" | "monte-carlo";

/** An expected accuracy at k, with its Monte-Carlo standard error (0 when computed exactly). */
export interface AtKEstimate {
  value: number;
  stderr: number;
  method: EstimateMethod;
  /** Random subsets drawn (Monte-Carlo only; 0 otherwise). */
  samples: number;
}

/** Options of the voting estimators. */
export interface VotingOptions {
  /** Answer equivalence used to form classes (default: exact string equality). */
  equal?: (a: string, b: string) => boolean;
  /**
   * Work limit for exact computation (default 2e7): the counting DP is used while its estimated
   * operation count stays under it, enumeration while C(n, k) does; past both, Monte-Carlo.
   */
  exactLimit?: number;
  /** Random subsets for Monte-Carlo (default 20000). */
  samples?: number;
  /** Seed for Monte-Carlo (default 0). */
  seed?: number;
  /** Force a method instead of choosing by `exactLimit` ("exact" means the counting DP). */
  method?: "auto" | EstimateMethod;
}

interface Classes {
  /** Class id per sample, -1 for null answers. */
  ids: Int32Array;
  /** Members per class. */
  sizes: number[];
  /** Fraction of members marked correct, per class. */
  correctness: number[];
  nulls: number;
}

/**
 * A sample pool's answer classes with the share of correct members in each (for vote estimators over
 * subsets of the pool; the strategies' live vote is `groupAnswers` in src/strategies/vote.ts).
 */
function poolClasses(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
  equal?: (a: string, b: string) => boolean,
): Classes {
  const ids = new Int32Array(answers.length);
  const reps: string[] = [];
  const byKey = new Map<string, number>();
  const sizes: number[] = [];
  const hits: number[] = [];
  let nulls = 0;
  answers.forEach((a, i) => {
    if (a === null || a === undefined) {
      ids[i] = -1;
      nulls++;
      return;
    }
    let id = byKey.get(a);
    if (id === undefined && equal) {
      const found = reps.findIndex((r) => equal(r, a));
      if (found >= 0) id = found;
    }
    if (id === undefined) {
      id = reps.length;
      reps.push(a);
      sizes.push(0);
      hits.push(0);
    }
    byKey.set(a, id);
    ids[i] = id;
    sizes[id]!++;
    if (correct[i]) hits[id]!++;
  });
  return { ids, sizes, correctness: sizes.map((s, j) => hits[j]! / s), nulls };
}

function validatePool(name: string, n: number, lengths: readonly number[], k: number): void {
  if (n === 0) throw new ConfigError(`${name}: the sample pool is empty`);
  for (const len of lengths) {
    if (len !== n) throw new ConfigError(`${name}: input arrays differ in length (${lengths.join(" vs ")})`);
  }
  requireInteger("k", k, 1, n);
}

/** Mean correctness of the classes with the largest weight (ties within 1e-12 relative); 0 if none. */
function topClassCorrectness(
  weights: Float64Array,
  present: readonly number[],
  correctness: readonly number[],
): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const c of present) if (weights[c]! > best) best = weights[c]!;
  if (best === Number.NEGATIVE_INFINITY) return 0;
  const tol = 1e-12 * Math.max(1, Math.abs(best));
  let sum = 0;
  let count = 0;
  for (const c of present) {
    if (weights[c]! >= best - tol) {
      sum += correctness[c]!;
      count++;
    }
  }
  return sum / count;
}

/** Reusable buffers for scoring subsets: per-class weights and a seen-marker per class. */
interface Scratch {
  weights: Float64Array;
  seen: Uint8Array;
  present: number[];
}

function makeScratch(classes: number): Scratch {
  return { weights: new Float64Array(classes), seen: new Uint8Array(classes), present: [] };
}

/** Scores one subset: weighted vote over the classes present (weight 1 per member for plain majority). */
function subsetScore(
  subset: readonly number[],
  ids: Int32Array,
  weightOf: (i: number) => number,
  correctness: readonly number[],
  scratch: Scratch,
): number {
  const { weights, seen, present } = scratch;
  present.length = 0;
  for (const i of subset) {
    const c = ids[i]!;
    if (c < 0) continue;
    if (seen[c] === 0) {
      seen[c] = 1;
      present.push(c);
    }
    weights[c]! += weightOf(i);
  }
  const outcome = topClassCorrectness(weights, present, correctness);
  for (const c of present) {
    weights[c] = 0;
    seen[c] = 0;
  }
  return outcome;
}

function enumerate(n: number, k: number, score: (subset: readonly number[]) => number): AtKEstimate {
  let sum = 0;
  let count = 0;
  forEachSubset(n, k, (s) => {
    sum += score(s);
    count++;
  });
  return { value: sum / count, stderr: 0, method: "enumeration", samples: 0 };
}

function monteCarlo(
  n: number,
  k: number,
  samples: number,
  seed: number,
  score: (subset: readonly number[]) => number,
): AtKEstimate {
  requireInteger("samples", samples, 2);
  const rng = new Rng(seed);
  const perm = Array.from({ length: n }, (_, i) => i);
  const subset = new Array<number>(k);
  let mean = 0;
  let m2 = 0;
  for (let s = 1; s <= samples; s++) {
    // Partial Fisher–Yates: the first k entries are a uniform k-subset.
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
      subset[i] = perm[i]!;
    }
    const x = score(subset);
    // Welford's running mean/variance.
    const d = x - mean;
    mean += d / s;
    m2 += d * (x - mean);
  }
  const variance = m2 / (samples - 1);
  return { value: mean, stderr: Math.sqrt(variance / samples), method: "monte-carlo", samples };
}

/**
 * Operation count of {@link majorityExactDp}, to decide whether it is affordable. Only classes with
 * some correct member are iterated as potential winners.
 */
function dpCost(cls: Classes, k: number): number {
  const m = cls.sizes.length;
  let cost = 0;
  cls.sizes.forEach((size, j) => {
    if (cls.correctness[j] === 0) return;
    for (let v = 1; v <= Math.min(size, k); v++) {
      const rest = k - v;
      cost += (m - 1) * (rest + 1) * (Math.floor(rest / v) + 1) * (v + 1);
      if (cost > 1e15) return;
    }
  });
  return cost;
}

/**
 * Exact expected maj@k by counting over answer-class counts. For each class j that could win and each
 * count v of its members in the subset, a DP over the other classes accumulates the probability that
 * every other class has < v members except exactly t that tie at v (remaining draws go to null
 * answers); class j then wins with probability 1/(t+1). All terms are hypergeometric probabilities
 * (never raw binomials), so nothing overflows.
 */
function majorityExactDp(cls: Classes, k: number): number {
  const n = cls.nulls + cls.sizes.reduce((a, b) => a + b, 0);
  const lf = logFactorials(n);
  let total = 0;
  cls.sizes.forEach((size, j) => {
    const corr = cls.correctness[j]!;
    if (corr === 0) return;
    const others = cls.sizes.filter((_, i) => i !== j);
    for (let v = 1; v <= Math.min(size, k); v++) {
      const pv = hypergeometric(lf, n, size, k, v);
      if (pv === 0) continue;
      const draws = k - v;
      const maxTies = Math.floor(draws / v);
      const width = maxTies + 1;
      // p[s*width + t]: probability that the other classes seen so far hold s members, t of them tied at v.
      let p = new Float64Array((draws + 1) * width);
      p[0] = 1;
      let remaining = n - size;
      for (const m of others) {
        const next = new Float64Array(p.length);
        for (let s = 0; s <= draws; s++) {
          const left = draws - s;
          for (let t = 0; t <= maxTies; t++) {
            const q = p[s * width + t]!;
            if (q === 0) continue;
            const top = Math.min(m, v, left);
            for (let x = 0; x <= top; x++) {
              const h = hypergeometric(lf, remaining, m, left, x);
              if (h === 0) continue;
              const tt = x === v ? t + 1 : t;
              next[(s + x) * width + tt]! += q * h;
            }
          }
        }
        p = next;
        remaining -= m;
      }
      let win = 0;
      for (let s = 0; s <= draws; s++) for (let t = 0; t <= maxTies; t++) win += p[s * width + t]! / (t + 1);
      total += corr * pv * win;
    }
  });
  return total;
}

function chooseMethod(
  requested: VotingOptions["method"],
  limit: number,
  n: number,
  k: number,
  dp: (() => number) | null,
): EstimateMethod {
  if (requested && requested !== "auto") {
    if (requested === "exact" && dp === null)
      throw new ConfigError("no exact counting method for this estimator");
    return requested;
  }
  if (dp !== null && dp() <= limit) return "exact";
  if (binomialFloat(n, k) <= limit) return "enumeration";
  return "monte-carlo";
}

/**
 * Expected majority-vote accuracy with k samples (maj@k), over uniformly random k-subsets of the pool.
 * Exact (counting DP or enumeration) when affordable under `exactLimit`, else Monte-Carlo with a
 * standard error. See the module documentation for ties, nulls and answer classes.
 *
 * @param answers extracted answer per sample (null when none)
 * @param correct whether each sample's answer is correct
 */
export function majorityAtK(
  answers: readonly (string | null)[],
  correct: readonly boolean[],
  k: number,
  options: VotingOptions = {},
): AtKEstimate {
  const n = answers.length;
  validatePool("majorityAtK", n, [answers.length, correct.length], k);
  const cls = poolClasses(answers, correct, options.equal);
  const limit = options.exactLimit ?? 2e7;
  const method = chooseMethod(options.method, limit, n, k, () => dpCost(cls, k));
  if (method === "exact") return { value: majorityExactDp(cls, k), stderr: 0, method, samples: 0 };
  const scratch = makeScratch(cls.sizes.length);
  const score = (s: readonly number[]): number => subsetScore(s, cls.ids, () => 1, cls.correctness, scratch);
  if (method === "enumeration") return enumerate(n, k, score);
  return monteCarlo(n, k, options.samples ?? 20000, options.seed ?? 0, score);
}

/**
 * Expected accuracy of score-weighted majority voting with k samples: each answer class gets the sum
 * of its members' scores in the subset and the heaviest class wins (ties within 1e-12 relative broken
 * uniformly in expectation). Enumeration when C(n, k) ≤ `exactLimit`, else Monte-Carlo with a standard
 * error.
 *
 * @throws ConfigError on mismatched lengths, an invalid k or a non-finite score.
 */
export function weightedMajorityAtK(
  answers: readonly (string | null)[],
  scores: readonly number[],
  correct: readonly boolean[],
  k: number,
  options: VotingOptions = {},
): AtKEstimate {
  const n = answers.length;
  validatePool("weightedMajorityAtK", n, [answers.length, scores.length, correct.length], k);
  for (const s of scores)
    if (!Number.isFinite(s)) throw new ConfigError(`weightedMajorityAtK: non-finite score ${s}`);
  const cls = poolClasses(answers, correct, options.equal);
  const method = chooseMethod(options.method, options.exactLimit ?? 2e7, n, k, null);
  const scratch = makeScratch(cls.sizes.length);
  const score = (s: readonly number[]): number =>
    subsetScore(s, cls.ids, (i) => scores[i]!, cls.correctness, scratch);
  if (method === "enumeration") return enumerate(n, k, score);
  return monteCarlo(n, k, options.samples ?? 20000, options.seed ?? 0, score);
}

/**
 * Expected best-of-k accuracy: the correctness of the highest-scored candidate among k drawn uniformly
 * without replacement. Exact by order statistics: with candidates sorted by score and a tie group G of
 * g candidates below a strictly better ones, G holds the subset's maximum with probability
 * [C(n−a, k) − C(n−a−g, k)] / C(n, k), and the winner is then uniform over G's members (ties broken
 * at random). Ratios C(x, k)/C(n, k) come from a running product, never from binomials. NaN scores
 * rank lowest.
 */
export function bestOfNAtK(scores: readonly number[], correct: readonly boolean[], k: number): AtKEstimate {
  const n = scores.length;
  validatePool("bestOfNAtK", n, [scores.length, correct.length], k);
  const key = (i: number): number => (Number.isNaN(scores[i]!) ? Number.NEGATIVE_INFINITY : scores[i]!);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  // ratio[x] = C(x, k) / C(n, k)
  const ratio = new Float64Array(n + 1);
  ratio[n] = 1;
  for (let x = n; x > k; x--) ratio[x - 1] = (ratio[x]! * (x - k)) / x;
  let value = 0;
  let a = 0;
  while (a < n) {
    let g = 1;
    while (a + g < n && key(order[a + g]!) === key(order[a]!)) g++;
    const pGroup = ratio[n - a]! - ratio[n - a - g]!;
    if (pGroup > 0) {
      let hits = 0;
      for (let i = a; i < a + g; i++) if (correct[order[i]!]) hits++;
      value += (pGroup * hits) / g;
    }
    a += g;
  }
  return { value, stderr: 0, method: "exact", samples: 0 };
}
