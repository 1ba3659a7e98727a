import { ConfigError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { StopReason } from "../../core/strategy.js";
import {
  expandNodes,
  type SearchAlgorithm,
  type SearchContext,
  type SearchResult,
  type SearchSettings,
  scoreNodes,
  softmax,
  untilStopped,
} from "./search.js";
import { pathOf, type SearchNode } from "./tree.js";

/** How a particle filter draws the next generation of particles from their weights. */
export type Resampling = "multinomial" | "systematic";

/**
 * What the weight softmax is taken of: `logit` — the PRM score's log-odds ln(p / (1 − p)), so weights
 * are proportional to the odds p / (1 − p) at temperature 1 (the paper's implementation); `score` —
 * the raw score p, so scores in [0, 1] at temperature 1 differ by at most a factor e.
 */
export type ParticleWeighting = "logit" | "score";

/** Settings of {@link particleFilter}. */
export interface ParticleSettings extends SearchSettings {
  /** N: particles. */
  n: number;
  /** What the weights are a softmax of: the scores' log-odds or the scores themselves. */
  weights: ParticleWeighting;
  /** Temperature of the weight softmax (not the sampling one). */
  weightTemperature: number;
  resampling: Resampling;
}

/**
 * Scores are clamped to [ε, 1 − ε] before the logit, so that a PRM that is certain (a score of exactly
 * 0 or 1, as an exact verifier gives) still yields finite log-odds: ±13.8.
 */
export const LOGIT_EPSILON = 1e-6;

/**
 * Normalized particle weights from the particles' scores: softmax(f(score) / temperature) with f the
 * log-odds (`logit`) or the identity (`score`). NaN scores (no score) weigh 0; all NaN: uniform.
 * `logit` reads scores as probabilities and throws a {@link ConfigError} on one outside [0, 1].
 */
export function particleWeights(
  scores: readonly number[],
  weighting: ParticleWeighting,
  temperature: number,
): number[] {
  return softmax(weighting === "logit" ? scores.map(logOdds) : scores, temperature);
}

/** ln(p / (1 − p)) with p clamped to [ε, 1 − ε]; NaN stays NaN. */
function logOdds(p: number): number {
  if (Number.isNaN(p)) return p;
  if (!(p >= 0 && p <= 1)) {
    throw new ConfigError(`particle weights=logit reads scores as probabilities, but a score was ${p}`, {
      hint: "use weights=score with a scorer whose values are not in [0, 1]",
    });
  }
  const q = Math.min(1 - LOGIT_EPSILON, Math.max(LOGIT_EPSILON, p));
  return Math.log(q / (1 - q));
}

/** The particles at the end of one filtering sweep. */
export interface Sweep {
  /** One entry per particle: a node held by k particles appears k times. */
  particles: SearchNode[];
  /** The particles' normalized weights (uniform right after a resampling). */
  weights: number[];
  stopReason: StopReason;
}

/** `n` independent draws of an index with probability proportional to `weights`. */
export function multinomialResample(weights: readonly number[], n: number, rng: Rng): number[] {
  const cumulative = cumulate(weights);
  return Array.from({ length: n }, () => locate(cumulative, rng.next()));
}

/**
 * Systematic resampling: one uniform offset u, then the points (u + k)/n for k < n on the cumulative
 * weights. Index i is drawn ⌊n·wᵢ⌋ or ⌈n·wᵢ⌉ times, and n·wᵢ times on average; indices come out in
 * ascending order.
 */
export function systematicResample(weights: readonly number[], n: number, rng: Rng): number[] {
  const cumulative = cumulate(weights);
  const u = rng.next();
  return Array.from({ length: n }, (_, k) => locate(cumulative, (u + k) / n));
}

/** Cumulative normalized weights; negative and non-finite weights count as 0, all-zero as uniform. */
function cumulate(weights: readonly number[]): number[] {
  const clean = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const total = clean.reduce((s, w) => s + w, 0);
  let sum = 0;
  return clean.map((w) => {
    sum += total > 0 ? w / total : 1 / clean.length;
    return sum;
  });
}

/** The first index whose cumulative weight exceeds x (binary search); never a zero-weight index. */
function locate(cumulative: readonly number[], x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  // Rounding can leave the total just under 1: past it, take the last index with weight.
  while (hi > 0 && cumulative[hi] === cumulative[hi - 1]) hi--;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const resamplers = { multinomial: multinomialResample, systematic: systematicResample };

/**
 * One sweep of particle filtering. N particles start at the root; each round every unfinished
 * particle is extended by one step (one batched expansion: particles sharing a node ask it for
 * that many samples in one request), the new steps are scored by the PRM (a particle's score is
 * its path's score under the tree's aggregation), the weights are {@link particleWeights} of all N
 * particles' scores (finished particles keep their last score and take part), and N
 * particles are drawn from the weights. The sweep ends without a last resampling when every
 * particle is finished or after `maxSteps` rounds; a spent budget or an abort ends it before the
 * next round.
 *
 * With a `reference` (a complete or partial path of an earlier sweep: conditional SMC, see
 * particle-gibbs.ts), only N−1 particles are free. The reference is the N-th particle: each
 * round it moves to the next node of its path (nothing is generated for it), is weighted with its
 * recorded score, and can be drawn by the free particles, but it always survives the resampling.
 * Once at the end of its path it stays there, finished.
 *
 * Trace: new nodes get `meta.sweep` when `sweep` is given; each round the particles' nodes get `meta.weight`
 * (the weights of the particles on that node, summed). At a resampling nodes drawn by no particle
 * become `pruned`, nodes drawn several times `resampled` (they keep that status when their copies
 * are extended), and the survivors get `meta.copies`.
 */
export async function particleSweep(
  s: ParticleSettings,
  search: SearchContext,
  options: { reference?: SearchNode; sweep?: number } = {},
): Promise<Sweep> {
  const tree = search.tree;
  const path = options.reference ? pathOf(options.reference) : null;
  let refSteps = 0; // steps the reference has taken along its path
  const refNode = () => (path && refSteps > 0 ? path[refSteps - 1]! : tree.root);
  const free = path ? s.n - 1 : s.n;
  let particles: SearchNode[] = Array.from({ length: free }, () => tree.root);
  const all = () => (path ? [...particles, refNode()] : particles);
  let weights = all().map(() => 1 / s.n);
  // Nodes the generator could not continue (out of tokens) are finished as they are.
  const stuck = new Set<SearchNode>();
  const finished = (node: SearchNode) => node.done || stuck.has(node);
  let duplicated = new Set<SearchNode>();

  const stopReason = await untilStopped(async () => {
    for (let round = 1; round <= s.maxSteps; round++) {
      const halt = search.halt();
      if (halt) return halt;
      const meta = options.sweep ? { sweep: options.sweep } : undefined;
      const fresh = await extend(particles, finished, stuck, duplicated, search, meta);
      if (path && refSteps < path.length) refSteps++;
      await scoreNodes(search, fresh);
      const current = all();
      weights = particleWeights(
        current.map((node) => node.score ?? Number.NaN),
        s.weights,
        s.weightTemperature,
      );
      noteWeights(search, current, weights);
      const open = particles.some((node) => !finished(node)) || (path !== null && refSteps < path.length);
      search.progress(
        `${options.sweep ? `sweep ${options.sweep} ` : ""}step ${round}: ` +
          `${current.filter(finished).length}/${current.length} particles finished, ` +
          `ESS ${(1 / weights.reduce((sum, w) => sum + w * w, 0)).toFixed(1)}`,
      );
      if (!open || round === s.maxSteps) break;
      const picks = resamplers[s.resampling](weights, free, search.rng);
      particles = picks.map((i) => current[i]!);
      duplicated = markResampling(search, current, path ? [...particles, refNode()] : particles);
      weights = current.map(() => 1 / current.length);
    }
    return undefined;
  });
  return { particles: all(), weights, stopReason };
}

/** Extends every unfinished particle by one step in one batch; returns the new nodes. */
async function extend(
  particles: SearchNode[],
  finished: (node: SearchNode) => boolean,
  stuck: Set<SearchNode>,
  duplicated: ReadonlySet<SearchNode>,
  search: SearchContext,
  meta: Record<string, unknown> | undefined,
): Promise<SearchNode[]> {
  const slots = new Map<SearchNode, number[]>();
  particles.forEach((node, i) => {
    if (!finished(node)) slots.set(node, [...(slots.get(node) ?? []), i]);
  });
  const parents = [...slots.keys()];
  const children = await expandNodes(
    search,
    parents,
    parents.map((p) => slots.get(p)!.length),
    meta ? { meta } : {},
  );
  const fresh: SearchNode[] = [];
  parents.forEach((parent, g) => {
    slots.get(parent)!.forEach((i, k) => {
      const child = children[g]![k];
      if (!child) {
        stuck.add(parent);
        return;
      }
      particles[i] = child;
      fresh.push(child);
    });
    if (duplicated.has(parent)) search.tree.mark(parent, "resampled");
  });
  return fresh;
}

/** Records on each node the summed weight of its particles. */
function noteWeights(
  search: SearchContext,
  particles: readonly SearchNode[],
  weights: readonly number[],
): void {
  for (const [node, weight] of sumByNode(particles, weights)) {
    if (node !== search.tree.root) search.tree.note(node, { meta: { weight } });
  }
}

/** Marks the nodes no particle drew `pruned` and those drawn several times `resampled`. */
function markResampling(
  search: SearchContext,
  before: readonly SearchNode[],
  after: readonly SearchNode[],
): Set<SearchNode> {
  const copies = sumByNode(
    after,
    after.map(() => 1),
  );
  const duplicated = new Set<SearchNode>();
  for (const node of new Set(before)) {
    if (node === search.tree.root) continue;
    const k = copies.get(node) ?? 0;
    if (k === 0) search.tree.mark(node, "pruned");
    else if (k === 1) search.tree.note(node, { meta: { copies: 1 } });
    else {
      search.tree.mark(node, "resampled", { copies: k });
      duplicated.add(node);
    }
  }
  return duplicated;
}

/** Sums values per node, in first-seen order. */
export function sumByNode(nodes: readonly SearchNode[], values: readonly number[]): Map<SearchNode, number> {
  const sums = new Map<SearchNode, number>();
  nodes.forEach((node, i) => {
    sums.set(node, (sums.get(node) ?? 0) + values[i]!);
  });
  return sums;
}

/**
 * The result of particle sweeps: each distinct complete final node is a solution, weighted by its
 * particles' weights averaged over the sweeps (each sweep's weights sum to 1). Unfinished particles
 * (at `maxSteps` or a stop) are not solutions; they stay in the trace as the frontier.
 */
export function particleResult(sweeps: readonly Sweep[], stopReason: StopReason): SearchResult {
  const weight = new Map<SearchNode, number>();
  for (const sweep of sweeps) {
    for (const [node, w] of sumByNode(sweep.particles, sweep.weights)) {
      if (node.done) weight.set(node, (weight.get(node) ?? 0) + w / sweeps.length);
    }
  }
  const finals = [...weight.keys()];
  return { finals, weights: finals.map((node) => weight.get(node)!), stopReason };
}

/**
 * Particle filtering for inference-time scaling (Puri et al. 2025, "A Probabilistic Inference Approach
 * to Inference-Time Scaling of LLMs using Particle-Based Monte Carlo Methods"): the policy proposes
 * steps, the PRM's score of each partial solution is its likelihood, and resampling by the weights
 * (by default proportional to the PRM's odds) moves particles to promising partial solutions, while lower-scored ones keep particles in
 * proportion to their weight instead of being cut as beam search cuts everything below its top N/M.
 * One {@link particleSweep}; the answer is the weighted vote of the distinct final solutions by their
 * particles' last weights (`select=weighted`), the best scored one (`best`), or the plain majority
 * over the distinct final solutions (`vote`: copies of one node count once).
 */
export const particleFilter: SearchAlgorithm<ParticleSettings> = async (s, search) => {
  const sweep = await particleSweep(s, search);
  return particleResult([sweep], sweep.stopReason);
};
