import {
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  softmax,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link rebase}. */
export interface RebaseSettings extends SearchSettings {
  /** W: the width, i.e. the complete solutions the search may produce. */
  n: number;
  /** T_b: temperature of the softmax that shares the width out by reward. */
  balanceTemperature: number;
}

/**
 * REBASE's width allocation: node i gets W_i = round(W · softmax(R / T)_i) children. The rounding is
 * largest remainder (Hamilton's method), so the W_i always add up to W: every node first gets the
 * floor of its quota W·p_i, and the units left over go one each to the largest fractional parts (ties:
 * the earlier node). NaN rewards weigh 0; when all are NaN the width is shared evenly.
 */
export function rebaseAllocation(rewards: readonly number[], width: number, temperature: number): number[] {
  if (rewards.length === 0 || width <= 0) return rewards.map(() => 0);
  const quotas = softmax(rewards, temperature).map((p) => p * width);
  const counts = quotas.map((quota) => Math.floor(quota));
  const order = quotas
    .map((quota, i) => ({ i, rest: quota - counts[i]! }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  let left = width - counts.reduce((sum, c) => sum + c, 0);
  for (let j = 0; left > 0; j++, left--) counts[order[j % order.length]!.i]! += 1;
  return counts;
}

/**
 * Reward-balanced search (REBASE; Wu et al. 2024, "Inference Scaling Laws: An Empirical Analysis of
 * Compute-Optimal Inference for Problem-Solving with Language Models"). The root opens W children; at
 * every depth the new children are scored, the complete ones leave as finals and each takes one unit
 * of width, and the remaining width is shared among the distinct open nodes by
 * {@link rebaseAllocation} over their scores (nodes given 0 are pruned). Ends when the width is spent,
 * nothing is open, or at `maxSteps`.
 */
export const rebase: SearchAlgorithm<RebaseSettings> = async (s, search) => {
  const finals: SearchNode[] = [];
  let width = s.n;
  let frontier: SearchNode[] = [search.tree.root];
  let counts = [s.n];
  const stopReason = await untilStopped(async () => {
    for (let depth = 0; depth < s.maxSteps && width > 0 && frontier.length > 0; depth++) {
      const halt = search.halt();
      if (halt) return halt;
      const children = (await expandNodes(search, frontier, counts)).flat();
      await scoreNodes(search, children);
      const open: SearchNode[] = [];
      for (const child of children) {
        if (!child.done) open.push(child);
        else {
          finals.push(child);
          width -= 1;
        }
      }
      const distinct = dropDuplicates(search, open);
      const widths = rebaseAllocation(
        distinct.map((node) => node.score ?? Number.NaN),
        width,
        s.balanceTemperature,
      );
      distinct.forEach((node, i) => {
        search.tree.note(node, { meta: { width: widths[i] } });
        if (widths[i] === 0) search.tree.mark(node, "pruned");
      });
      frontier = distinct.filter((_, i) => widths[i]! > 0);
      counts = widths.filter((w) => w > 0);
      search.progress(
        `step ${depth + 1}: ${finals.length} complete, width ${width} over ${frontier.length} nodes`,
      );
    }
    return undefined;
  });
  return { finals, stopReason };
};
