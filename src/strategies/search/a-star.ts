import {
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link aStar}. */
export interface AStarSettings extends SearchSettings {
  /** k: next steps proposed per expansion (one request). */
  children: number;
  /** Most expansions (generation requests) of the search. */
  expansions: number;
  /** A complete solution scoring at least this ends the search when it is popped. */
  goal: number;
  /** Priority cost per step: f = score − costWeight · depth. */
  costWeight: number;
}

/**
 * A*-decoding (Chatziveroglou 2025, "A*-Decoding: Token-Efficient Inference Scaling"): a priority
 * queue of partial solutions keyed by f = PRM path score − costWeight·depth (no score: lowest; ties:
 * first pushed first). The best is popped: a complete solution scoring at least `goal` is the answer
 * and ends the search; one below the goal is set aside (it is a final already) and the search goes
 * on; an open one is expanded with k next steps, which are scored and pushed. After `expansions`
 * expansions the search still pops complete solutions for free and ends at the first open node (or an
 * empty queue); then `select` picks among the complete solutions found.
 */
export const aStar: SearchAlgorithm<AStarSettings> = async (s, search) => {
  const { tree } = search;
  const finals: SearchNode[] = [];
  const queue: { node: SearchNode; f: number }[] = [];
  const push = (node: SearchNode) => {
    const raw = (node.score ?? Number.NaN) - s.costWeight * node.depth;
    const f = Number.isNaN(raw) ? Number.NEGATIVE_INFINITY : raw;
    queue.push({ node, f });
    if (node !== tree.root) tree.note(node, { meta: { priority: raw } });
  };
  /** Removes and returns the highest priority; strict comparison keeps the earliest pushed on ties. */
  const pop = (): SearchNode => {
    let best = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i]!.f > queue[best]!.f) best = i;
    return queue.splice(best, 1)[0]!.node;
  };

  let chosen: SearchNode | undefined;
  let expansions = 0;
  let popped = 0;
  push(tree.root);
  const stopReason = await untilStopped(async () => {
    while (queue.length > 0) {
      const node = pop();
      tree.note(node, { meta: { popped: popped++ } });
      if (node.done) {
        if ((node.score ?? Number.NaN) >= s.goal) {
          chosen = node;
          return undefined;
        }
        continue;
      }
      if (node.depth >= s.maxSteps) {
        tree.mark(node, "pruned", { maxSteps: true });
        continue;
      }
      if (expansions >= s.expansions) return undefined;
      const halt = search.halt();
      if (halt) return halt;
      const [generated = []] = await expandNodes(search, [node], s.children);
      expansions += 1;
      const children = dropDuplicates(search, generated);
      await scoreNodes(search, children);
      for (const child of children) {
        if (child.done) finals.push(child);
        push(child);
      }
      search.progress(`expansion ${expansions}: ${queue.length} open, ${finals.length} complete`);
    }
    return undefined;
  });
  tree.note(tree.root, { meta: { expansions, goalReached: chosen !== undefined } });
  return { finals, ...(chosen ? { chosen } : {}), stopReason };
};
