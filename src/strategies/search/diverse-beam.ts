import {
  byScore,
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link diverseBeamSearch}. */
export interface DiverseBeamSettings extends SearchSettings {
  /** N: beams in all, split evenly into the groups. */
  n: number;
  /** M: children of each surviving beam. */
  m: number;
  /** Groups G; each keeps N/(G·M) beams (at least one). */
  groups: number;
  /** λ: score subtracted per earlier group that kept the same step at this depth. */
  penalty: number;
}

/**
 * Diverse beam search (Vijayakumar et al. 2018) at step level: the beams are split into G groups that
 * select one after another at every step; a group's candidate step loses λ for each earlier group
 * that kept the same step text at this depth (the step-level form of the paper's Hamming diversity),
 * so groups are pushed apart. Within a group it is plain beam search; the search ends at N complete
 * solutions, when no beam is left, or at `maxSteps`.
 */
export const diverseBeamSearch: SearchAlgorithm<DiverseBeamSettings> = async (s, search) => {
  const finals: SearchNode[] = [];
  const groups = Math.max(1, Math.min(s.groups, s.n));
  const keep = Math.max(1, Math.floor(s.n / (groups * s.m)));
  let frontiers: SearchNode[][] = Array.from({ length: groups }, () => [search.tree.root]);
  const stopReason = await untilStopped(async () => {
    for (let depth = 0; depth < s.maxSteps && frontiers.some((f) => f.length > 0); depth++) {
      const halt = search.halt();
      if (halt) return halt;
      // One batch for every group; the root opens N beams shared out among the groups.
      const parents = frontiers.flat();
      const counts =
        depth === 0
          ? frontiers.map((_, g) => Math.floor((s.n * (g + 1)) / groups) - Math.floor((s.n * g) / groups))
          : s.m;
      const children = await expandNodes(search, parents, counts);
      const byGroup: SearchNode[][] = [];
      let at = 0;
      frontiers.forEach((frontier, g) => {
        byGroup[g] = children.slice(at, at + frontier.length).flat();
        at += frontier.length;
      });
      await scoreNodes(search, byGroup.flat());
      const kept = new Map<string, number>();
      frontiers = byGroup.map((nodes, g) => {
        const active: SearchNode[] = [];
        for (const node of dropDuplicates(search, nodes)) {
          if (!node.done) active.push(node);
          else if (finals.length < s.n) finals.push(node);
          else search.tree.mark(node, "pruned", { overBudget: true });
        }
        const adjusted = (n: SearchNode) =>
          (n.score ?? Number.NaN) - s.penalty * (kept.get(n.step.trim()) ?? 0);
        const ranked = byScore(active, adjusted);
        const survivors = finals.length < s.n ? ranked.slice(0, keep) : [];
        for (const node of ranked.slice(survivors.length)) search.tree.mark(node, "pruned");
        for (const node of survivors) {
          search.tree.note(node, { meta: { group: g, diverseScore: adjusted(node) } });
          kept.set(node.step.trim(), (kept.get(node.step.trim()) ?? 0) + 1);
        }
        return survivors;
      });
      search.progress(`step ${depth + 1}: ${finals.length} complete, ${frontiers.flat().length} beams`);
    }
    return undefined;
  });
  return { finals, stopReason };
};
