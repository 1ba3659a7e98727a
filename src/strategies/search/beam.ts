import {
  byScore,
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreWithLookahead,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link beamSearch}. */
export interface BeamSettings extends SearchSettings {
  /** N: beams in all, and the most complete solutions the search returns. */
  n: number;
  /** M: children of each surviving beam; N/M beams survive each step. */
  m: number;
  /** Greedy rollout steps before scoring a new step (0: score the step itself). */
  lookahead: number;
}

/**
 * Step-level beam search with a process reward model, with search-and-learn's semantics: the root
 * opens N beams; at each step the unfinished beams are scored (after an optional greedy lookahead),
 * duplicates dropped, the best N/M kept and each expanded with M next steps. The beam stays N wide:
 * when duplicates leave fewer than N/M distinct survivors, the survivors share the N samples (the
 * best first), as search-and-learn repeats its active beams. Complete solutions leave the beam and
 * each takes one of the N places, so a round samples only for the places left and the search never
 * returns more than N solutions; it ends at N of them, when no beam is left, or at `maxSteps`.
 */
export const beamSearch: SearchAlgorithm<BeamSettings> = async (s, search) => {
  const finals: SearchNode[] = [];
  const keep = Math.max(1, Math.floor(s.n / s.m));
  let frontier: SearchNode[] = [search.tree.root];
  const stopReason = await untilStopped(async () => {
    for (let depth = 0; depth < s.maxSteps && frontier.length > 0; depth++) {
      const halt = search.halt();
      if (halt) return halt;
      const children = dropDuplicates(
        search,
        (await expandNodes(search, frontier, shareOut(s.n - finals.length, frontier.length))).flat(),
      );
      await scoreWithLookahead(search, children, s.lookahead);
      const active: SearchNode[] = [];
      for (const child of children) {
        if (!child.done) active.push(child);
        else if (finals.length < s.n) finals.push(child);
        else search.tree.mark(child, "pruned", { overBudget: true });
      }
      const survivors = Math.min(keep, s.n - finals.length);
      const ranked = byScore(active);
      frontier = ranked.slice(0, survivors);
      for (const node of ranked.slice(survivors)) search.tree.mark(node, "pruned");
      search.progress(`step ${depth + 1}: ${finals.length} complete, ${frontier.length} beams`);
    }
    return undefined;
  });
  return { finals, stopReason };
};

/** `total` samples shared out among `parents`, the earlier (better) ones taking the remainder. */
export function shareOut(total: number, parents: number): number[] {
  return Array.from(
    { length: parents },
    (_, i) => Math.floor(total / parents) + (i < total % parents ? 1 : 0),
  );
}
