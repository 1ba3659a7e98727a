import type { SearchNode } from "./tree.js";
import {
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchSettings,
  scoreNodes,
  scoreWithLookahead,
  untilStopped,
} from "./search.js";

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

  /** Expands an open leaf and returns its value: the mean evaluation of its new children. */
  const grow = async (leaf: SearchNode): Promise<number> => {
    const [generated = []] = await expandNodes(search, [leaf], s.children);
    const children = dropDuplicates(search, generated);
    stat(leaf).children = children;
    if (s.rollout) {
      const ends = await scoreWithLookahead(search, children, s.maxSteps - leaf.depth - 1);
      for (const end of ends) if (end.done && !children.includes(end)) finals.push(end);
    } else {
      await scoreNodes(search, children);
    }
    for (const child of children) if (child.done) finals.push(child);
    if (children.length === 0) return asValue(leaf.score);
    return children.reduce((sum, child) => sum + asValue(child.score), 0) / children.length;
  };

  let iteration = 0;
  const stopReason = await untilStopped(async () => {
    for (; iteration < s.iterations; iteration++) {
      const halt = search.halt();
      if (halt) return halt;
      const path = [tree.root];
      for (let at = stat(tree.root).children; at && at.length > 0; at = stat(path.at(-1)!).children) {
        path.push(pick(path.at(-1)!, at));
      }
      const leaf = path.at(-1)!;
      const open = !leaf.done && leaf.depth < s.maxSteps && stat(leaf).children === undefined;
      const value = open ? await grow(leaf) : asValue(leaf.score);
      for (const node of path) {
        const st = stat(node);
        st.visits += 1;
        st.valueSum += value;
        tree.note(node, { visits: st.visits, value: st.valueSum / st.visits });
      }
      search.progress(`iteration ${iteration + 1}: value ${value.toFixed(3)}, ${finals.length} complete`);
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
