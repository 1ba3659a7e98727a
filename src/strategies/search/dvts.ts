import {
  byScore,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link dvts}. */
export interface DvtsSettings extends SearchSettings {
  /** N: the step budget per round, split into N/M subtrees. */
  n: number;
  /** M: next steps each subtree proposes per round; it keeps the best one. */
  m: number;
}

/**
 * Diverse verifier tree search (Beeching et al., search-and-learn): N/M independent subtrees, each
 * greedy under the PRM: at every step it proposes M next steps and keeps only the best scored. Because
 * subtrees never compete, they explore different solutions where beam search would collapse onto one.
 * Each subtree ends at its first complete solution.
 */
export const dvts: SearchAlgorithm<DvtsSettings> = async (s, search) => {
  const finals: SearchNode[] = [];
  let leaves: SearchNode[] = Array.from(
    { length: Math.max(1, Math.floor(s.n / s.m)) },
    () => search.tree.root,
  );
  const stopReason = await untilStopped(async () => {
    for (let depth = 0; depth < s.maxSteps && leaves.length > 0; depth++) {
      const halt = search.halt();
      if (halt) return halt;
      const proposals = await expandNodes(search, leaves, s.m);
      await scoreNodes(search, proposals.flat());
      const next: SearchNode[] = [];
      for (const options of proposals) {
        const [best, ...rest] = byScore(options);
        for (const node of rest) search.tree.mark(node, "pruned");
        if (!best) continue;
        if (best.done) finals.push(best);
        else next.push(best);
      }
      leaves = next;
      search.progress(`step ${depth + 1}: ${finals.length} complete, ${leaves.length} subtrees open`);
    }
    return undefined;
  });
  return { finals, stopReason };
};
