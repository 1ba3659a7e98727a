import {
  dropDuplicates,
  expandNodes,
  type SearchAlgorithm,
  type SearchContext,
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

/** What MCTS keeps per node. */
interface Stats {
  visits: number;
  valueSum: number;
  /** The node's children once expanded (distinct steps only). */
  children?: SearchNode[];
}

/** The state the four phases share: the settings, the search's pieces, node statistics, solutions. */
interface Mcts {
  s: MctsSettings;
  search: SearchContext;
  stats: Map<SearchNode, Stats>;
  /** Complete solutions generated so far, in the order found. */
  finals: SearchNode[];
}

/** A score as a value: NaN (no score) counts as 0. */
const asValue = (score: number | undefined) => (score !== undefined && Number.isFinite(score) ? score : 0);

/** The node's statistics, created empty on first use. */
function stat(m: Mcts, node: SearchNode): Stats {
  const known = m.stats.get(node);
  if (known) return known;
  const st: Stats = { visits: 0, valueSum: 0 };
  m.stats.set(node, st);
  return st;
}

/** Q: the mean backed-up value; an unvisited node's own score. */
function q(m: Mcts, node: SearchNode): number {
  const st = stat(m, node);
  return st.visits > 0 ? st.valueSum / st.visits : asValue(node.score);
}

/**
 * The tree policy: the child with the highest Q + exploration bonus (PUCT with a uniform prior, or
 * UCT); ties go to the higher Q, then the earlier child.
 */
function treePolicy(m: Mcts, parent: SearchNode, children: readonly SearchNode[]): SearchNode {
  const { s } = m;
  const n = stat(m, parent).visits;
  const bonus = (child: SearchNode) => {
    const visits = stat(m, child).visits;
    if (s.rule === "puct") return (s.c * Math.sqrt(n)) / (children.length * (1 + visits));
    return visits === 0 ? Number.POSITIVE_INFINITY : s.c * Math.sqrt(Math.log(n) / visits);
  };
  let best = children[0]!;
  let bestU = Number.NEGATIVE_INFINITY;
  for (const child of children) {
    const u = q(m, child) + bonus(child);
    if (u > bestU || (u === bestU && q(m, child) > q(m, best))) [best, bestU] = [child, u];
  }
  return best;
}

/**
 * 1. Select: `count` paths from the root down to a leaf (a node not yet expanded) by the tree policy.
 * Each path gets a virtual loss while the next is selected, so that they diverge; the losses are taken
 * back before this returns.
 */
function select(m: Mcts, count: number): SearchNode[][] {
  const root = m.search.tree.root;
  const paths: SearchNode[][] = [];
  for (let k = 0; k < count; k++) {
    const path = [root];
    for (let at = stat(m, root).children; at && at.length > 0; at = stat(m, path.at(-1)!).children) {
      path.push(treePolicy(m, path.at(-1)!, at));
    }
    paths.push(path);
    addToPath(m, path, 0, 1);
  }
  for (const path of paths) addToPath(m, path, 0, -1);
  return paths;
}

/**
 * The leaves of `paths` to expand, each once: not complete, above `maxSteps` and not expanded before
 * (a leaf the model could not continue has an empty child list and is not tried again).
 */
function openLeaves(m: Mcts, paths: readonly SearchNode[][]): SearchNode[] {
  const isOpen = (leaf: SearchNode) =>
    !leaf.done && leaf.depth < m.s.maxSteps && stat(m, leaf).children === undefined;
  return [...new Set(paths.map((p) => p.at(-1)!).filter(isOpen))];
}

/** 2. Expand: `children` next steps for every leaf, in one batch; repeated steps are dropped. */
async function expand(m: Mcts, leaves: readonly SearchNode[]): Promise<SearchNode[][]> {
  const generated = await expandNodes(m.search, leaves, m.s.children);
  return generated.map((list, i) => {
    const children = dropDuplicates(m.search, list);
    stat(m, leaves[i]!).children = children;
    return children;
  });
}

/**
 * 3. Evaluate (simulate): scores the new children — with `rollout=1` where their greedy rollouts to
 * the end stop — records the complete solutions found, and returns each leaf's value v: the mean
 * score of its new children, or its own score when it got none.
 */
async function evaluate(
  m: Mcts,
  leaves: readonly SearchNode[],
  byLeaf: readonly SearchNode[][],
): Promise<number[]> {
  const all = byLeaf.flat();
  if (m.s.rollout) {
    const deepest = Math.max(...leaves.map((leaf) => m.s.maxSteps - leaf.depth - 1));
    const ends = await scoreWithLookahead(m.search, all, deepest);
    for (const end of ends) if (end.done && !all.includes(end)) m.finals.push(end);
  } else {
    await scoreNodes(m.search, all);
  }
  for (const child of all) if (child.done) m.finals.push(child);
  return byLeaf.map((children, i) =>
    children.length === 0
      ? asValue(leaves[i]!.score)
      : children.reduce((sum, child) => sum + asValue(child.score), 0) / children.length,
  );
}

/** Adds `value` to every node of `path` as `visits` visits (negative: takes them back). */
function addToPath(m: Mcts, path: readonly SearchNode[], value: number, visits: number): void {
  for (const node of path) {
    const st = stat(m, node);
    st.visits += visits;
    st.valueSum += value;
  }
}

/** 4. Backpropagate: one visit of value v to every node of the path, the root included; traced. */
function backup(m: Mcts, path: readonly SearchNode[], value: number): void {
  addToPath(m, path, value, 1);
  for (const node of path) {
    const st = stat(m, node);
    m.search.tree.note(node, { visits: st.visits, value: st.valueSum / st.visits });
  }
}

/** The end of the path that follows the most visited (or best valued) visited child from the root. */
function finalPath(m: Mcts): SearchNode {
  const visits = (node: SearchNode) => stat(m, node).visits;
  const value = (node: SearchNode) => q(m, node);
  const [key, tie] = m.s.choose === "visits" ? [visits, value] : [value, visits];
  let end = m.search.tree.root;
  for (;;) {
    const visited = (stat(m, end).children ?? []).filter((child) => visits(child) > 0);
    if (visited.length === 0) return end;
    end = visited.reduce((a, b) => (key(b) > key(a) || (key(b) === key(a) && tie(b) > tie(a)) ? b : a));
  }
}

/**
 * Monte Carlo tree search over steps with the PRM as value function. Each iteration:
 *
 * 1. **select** from the root down to a leaf by PUCT, Q + c·P·√N(parent)/(1 + N) with a uniform prior
 *    P = 1/siblings (or by UCT, Q + c·√(ln N(parent)/N), unvisited children first); an unvisited
 *    child's Q is its own score;
 * 2. **expand** an open leaf with k next steps in one request;
 * 3. **evaluate** it: v is the mean score of its distinct new children (with `rollout=1`, the mean
 *    score where their greedy rollouts end); a complete leaf (or one at `maxSteps`, or one the model
 *    could not continue) is not generated again: v is its score;
 * 4. **backup** v to every node on the path, the root included: visits += 1, valueSum += v.
 *
 * With `batch` > 1 a round selects several paths and expands and evaluates their leaves together.
 * Every complete solution generated is a final; the answer is the end of the path that follows the
 * most visited (or best valued) child from the root, when that path reaches a complete solution, else
 * the `select` rule over the finals.
 */
export const mcts: SearchAlgorithm<MctsSettings> = async (s, search) => {
  const m: Mcts = { s, search, stats: new Map(), finals: [] };
  let iteration = 0;
  const stopReason = await untilStopped(async () => {
    while (iteration < s.iterations) {
      const halt = search.halt();
      if (halt) return halt;
      const paths = select(m, Math.min(s.batch ?? 1, s.iterations - iteration));
      // A leaf chosen twice in one round is expanded once; both paths get its value.
      const leaves = openLeaves(m, paths);
      const values = new Map<SearchNode, number>();
      if (leaves.length > 0) {
        const children = await expand(m, leaves);
        for (const [i, v] of (await evaluate(m, leaves, children)).entries()) values.set(leaves[i]!, v);
      }
      for (const path of paths) {
        const leaf = path.at(-1)!;
        const value = values.get(leaf) ?? asValue(leaf.score);
        backup(m, path, value);
        iteration++;
        search.progress(`iteration ${iteration}: value ${value.toFixed(3)}, ${m.finals.length} complete`);
      }
    }
    return undefined;
  });

  const end = finalPath(m);
  search.tree.note(search.tree.root, { meta: { iterations: iteration, choose: s.choose, path: end.id } });
  const chosen = end.done && m.finals.includes(end) ? end : undefined;
  return { finals: m.finals, ...(chosen ? { chosen } : {}), stopReason };
};
