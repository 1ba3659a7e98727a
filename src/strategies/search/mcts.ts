import {
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  scoreWithLookahead,
  untilStopped,
} from "./search.js";
import type { SearchNode } from "./tree.js";

/** Settings of {@link mcts}. */
export interface MctsSettings extends SearchSettings {
  /** Select–expand–evaluate–backpropagate iterations. */
  iterations: number;
  /** Exploration constant c. */
  c: number;
  /** k: next steps proposed when a leaf is expanded (one request). */
  children: number;
  /** Selection rule: PUCT (uniform prior) or UCT. */
  rule: "puct" | "uct";
  /** 1: evaluate each new child by a greedy rollout to the end, scored there; 0: by its own score. */
  rollout: number;
  /** Final path from the root: most visited child, or best mean value child. */
  choose: "visits" | "value";
  /**
   * Leaves selected per round and expanded in one batch (default 1: one leaf per iteration). Each
   * selection adds a virtual loss (a visit of value 0) along its path so the next one diverges; it is
   * removed before the real values are backed up. Every leaf counts as one iteration.
   */
  batch?: number;
}

interface Stats {
  visits: number;
  valueSum: number;
  /** The node's children once expanded (distinct steps only). */
  children?: SearchNode[];
}

/** A score as a value: NaN (no score) counts as 0. */
const asValue = (score: number | undefined) => (score !== undefined && Number.isFinite(score) ? score : 0);

/**
 * Monte Carlo tree search over steps with the PRM as value function. Every iteration selects from the
 * root down to a leaf by PUCT, Q + c·P·√N(parent)/(1 + N) with a uniform prior P = 1/siblings (or by
 * UCT, Q + c·√(ln N(parent)/N), unvisited children first); an unvisited child's Q is its own score. An
 * open leaf is expanded with k next steps in one request and its value v is the mean score of its
 * distinct new children (with `rollout=1`, the mean score where their greedy rollouts end); a complete
 * leaf (or one at `maxSteps`, or one the model could not continue) is not generated again: v is its
 * score. v is added to every node on the path, the root included: visits += 1, valueSum += v. Every
 * complete solution generated is a final; the answer is the end of the path that follows the most
 * visited (or best valued) child from the root, when that path reaches a complete solution, else the
 * `select` rule over the finals.
 */
export const mcts: SearchAlgorithm<MctsSettings> = async (s, search) => {
  const { tree } = search;
  const finals: SearchNode[] = [];
  const stats = new Map<SearchNode, Stats>();
  const stat = (node: SearchNode): Stats => {
    const known = stats.get(node);
    if (known) return known;
    const st: Stats = { visits: 0, valueSum: 0 };
    stats.set(node, st);
    return st;
  };
  const q = (node: SearchNode) => {
    const st = stat(node);
    return st.visits > 0 ? st.valueSum / st.visits : asValue(node.score);
  };

  /** The child the tree policy follows; ties go to the higher Q, then the earlier child. */
  const pick = (parent: SearchNode, children: SearchNode[]): SearchNode => {
    const n = stat(parent).visits;
    const bonus = (child: SearchNode) => {
      const visits = stat(child).visits;
      if (s.rule === "puct") return (s.c * Math.sqrt(n)) / (children.length * (1 + visits));
      return visits === 0 ? Number.POSITIVE_INFINITY : s.c * Math.sqrt(Math.log(n) / visits);
    };
    let best = children[0]!;
    let bestU = Number.NEGATIVE_INFINITY;
    for (const child of children) {
      const u = q(child) + bonus(child);
      if (u > bestU || (u === bestU && q(child) > q(best))) [best, bestU] = [child, u];
    }
    return best;
  };

  /**
   * Expands open leaves in one batch and returns each leaf's value: the mean evaluation of its
   * distinct new children (the leaf's own score when it got none).
   */
  const grow = async (leaves: SearchNode[]): Promise<number[]> => {
    const generated = await expandNodes(search, leaves, s.children);
    const byLeaf = generated.map((list, i) => {
      const children = dropDuplicates(search, list);
      stat(leaves[i]!).children = children;
      return children;
    });
    const all = byLeaf.flat();
    if (s.rollout) {
      const deepest = Math.max(...leaves.map((leaf) => s.maxSteps - leaf.depth - 1));
      const ends = await scoreWithLookahead(search, all, deepest);
      for (const end of ends) if (end.done && !all.includes(end)) finals.push(end);
    } else {
      await scoreNodes(search, all);
    }
    for (const child of all) if (child.done) finals.push(child);
    return byLeaf.map((children, i) =>
      children.length === 0
        ? asValue(leaves[i]!.score)
        : children.reduce((sum, child) => sum + asValue(child.score), 0) / children.length,
    );
  };

  /** Adds `value` to every node of `path` as `visits` visits (negative: takes them back). */
  const backup = (path: SearchNode[], value: number, visits: number) => {
    for (const node of path) {
      const st = stat(node);
      st.visits += visits;
      st.valueSum += value;
    }
  };

  let iteration = 0;
  const stopReason = await untilStopped(async () => {
    while (iteration < s.iterations) {
      const halt = search.halt();
      if (halt) return halt;
      // Select up to `batch` paths; virtual losses push later selections onto other branches.
      const paths: SearchNode[][] = [];
      const want = Math.min(s.batch ?? 1, s.iterations - iteration);
      for (let k = 0; k < want; k++) {
        const path = [tree.root];
        for (let at = stat(tree.root).children; at && at.length > 0; at = stat(path.at(-1)!).children) {
          path.push(pick(path.at(-1)!, at));
        }
        paths.push(path);
        backup(path, 0, 1);
      }
      for (const path of paths) backup(path, 0, -1);
      const isOpen = (leaf: SearchNode) =>
        !leaf.done && leaf.depth < s.maxSteps && stat(leaf).children === undefined;
      // A leaf chosen twice in one round is expanded once; both paths get its value.
      const open = [...new Set(paths.map((p) => p.at(-1)!).filter(isOpen))];
      const values = new Map<SearchNode, number>();
      if (open.length > 0) {
        for (const [i, v] of (await grow(open)).entries()) values.set(open[i]!, v);
      }
      for (const path of paths) {
        const leaf = path.at(-1)!;
        const value = values.get(leaf) ?? asValue(leaf.score);
        backup(path, value, 1);
        for (const node of path) {
          const st = stat(node);
          tree.note(node, { visits: st.visits, value: st.valueSum / st.visits });
        }
        iteration++;
        search.progress(`iteration ${iteration}: value ${value.toFixed(3)}, ${finals.length} complete`);
      }
    }
    return undefined;
  });

  // Follow the most visited (or best valued) visited child from the root.
  const key = (node: SearchNode) => (s.choose === "visits" ? stat(node).visits : q(node));
  const tie = (node: SearchNode) => (s.choose === "visits" ? q(node) : stat(node).visits);
  let end = tree.root;
  for (;;) {
    const visited = (stat(end).children ?? []).filter((child) => stat(child).visits > 0);
    if (visited.length === 0) break;
    end = visited.reduce((a, b) => (key(b) > key(a) || (key(b) === key(a) && tie(b) > tie(a)) ? b : a));
  }
  tree.note(tree.root, { meta: { iterations: iteration, choose: s.choose, path: end.id } });
  const chosen = end.done && finals.includes(end) ? end : undefined;
  return { finals, ...(chosen ? { chosen } : {}), stopReason };
};
