import { z } from "zod";
import type { Problem } from "../../core/prompt.js";
import type { Rng } from "../../core/rng.js";
import type { StepAggregation } from "../../core/scorer.js";
import type {
  Candidate,
  StopReason,
  Strategy,
  StrategyContext,
  StrategyOutcome,
} from "../../core/strategy.js";
import { samplingParams } from "../params.js";
import { requireScorer } from "../requirements.js";
import { roundStop, stopReasonOf } from "../rounds.js";
import { argmax, majorityVote, weightedMajority } from "../vote.js";
import {
  contextStepScorer,
  modelStepGenerator,
  type StepGenerator,
  type StepScorer,
  type StepSettings,
} from "./steps.js";
import { type SearchNode, SearchTree } from "./tree.js";

/** How a search picks its answer among the complete solutions it found. */
export type FinalSelection = "best" | "vote" | "weighted";

/** Settings every step-level search shares. */
export interface SearchSettings extends StepSettings {
  /** Most steps of one solution. */
  maxSteps: number;
  /** How a path's step scores become its score. */
  aggregation: StepAggregation;
  /** Final choice among complete solutions: best score, majority vote, or score-weighted vote. */
  select: FinalSelection;
}

/** The spec parameters of {@link SearchSettings}, shared by every search strategy's registry entry. */
export const searchParams = {
  temperature: samplingParams.temperature,
  topP: samplingParams.topP,
  topK: samplingParams.topK,
  maxTokens: samplingParams.maxTokens,
  stepTokens: z.coerce.number().int().min(1).max(100_000).default(64).describe("most tokens of one step"),
  maxSteps: z.coerce.number().int().min(1).max(10_000).default(32).describe("most steps of one solution"),
  aggregation: z
    .enum(["last", "min", "product", "mean"])
    .default("last")
    .describe("how a path's step scores make a node's score"),
  select: z
    .enum(["best", "vote", "weighted"])
    .default("weighted")
    .describe(
      "how the answer is picked among complete solutions: top score, majority, score-weighted majority",
    ),
};

/** What a search algorithm works with: the three pieces and the run's controls. */
export interface SearchContext {
  generator: StepGenerator;
  scorer: StepScorer;
  tree: SearchTree;
  rng: Rng;
  /** Why the search must stop now (budget spent, aborted), or null to go on. */
  halt(): StopReason | null;
  progress(message: string): void;
}

/** What a search algorithm found. */
export interface SearchResult {
  /** Complete solutions, in the order found. */
  finals: SearchNode[];
  /** The solution the algorithm chose itself (MCTS's most visited path); else `select` decides. */
  chosen?: SearchNode;
  /** Weights of `finals` for the weighted vote (particle weights); default: their scores. */
  weights?: number[];
  stopReason: StopReason;
}

/** A search algorithm over the three pieces. */
export type SearchAlgorithm<S> = (settings: S, search: SearchContext) => Promise<SearchResult>;

/**
 * Runs `body` and turns a spent budget or an abort into its stop reason; `body` may return a stop
 * reason of its own (default `completed`).
 */
export async function untilStopped(body: () => Promise<StopReason | undefined>): Promise<StopReason> {
  try {
    return (await body()) ?? "completed";
  } catch (error) {
    return stopReasonOf(error);
  }
}

/** Scores nodes with the step scorer (one batch) and stores their scores; returns the aggregates. */
export async function scoreNodes(search: SearchContext, nodes: readonly SearchNode[]): Promise<number[]> {
  if (nodes.length === 0) return [];
  const steps = await search.scorer.score(nodes.map((n) => n.text));
  return nodes.map((n, i) => search.tree.setScores(n, steps[i] ?? []));
}

/** Softmax of `values / temperature`; NaN values get weight 0. All-NaN input gives uniform weights. */
export function softmax(values: readonly number[], temperature = 1): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return values.map(() => 1 / values.length);
  const top = Math.max(...finite);
  const raw = values.map((v) => (Number.isFinite(v) ? Math.exp((v - top) / temperature) : 0));
  const total = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => w / total);
}

/**
 * Wraps a search algorithm as a {@link Strategy}: builds the step generator over the run's model, the
 * step scorer over its scorer and the tree over its trace, runs the algorithm and picks the answer.
 */
export function searchStrategy<S extends SearchSettings>(
  name: string,
  settings: S,
  spec: string,
  algorithm: SearchAlgorithm<S>,
): Strategy {
  return {
    spec,
    needsScorer: true,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      requireScorer(ctx, name, "genprm");
      const tree = new SearchTree(ctx.trace, settings.aggregation, { strategy: name, spec });
      const search: SearchContext = {
        generator: modelStepGenerator(problem, ctx, settings),
        scorer: contextStepScorer(problem, ctx),
        tree,
        rng: ctx.rng,
        halt: () => roundStop(ctx),
        progress: (message) =>
          ctx.emit({ type: "progress", message, completionTokens: ctx.meter.usage.completionTokens }),
      };
      const result = await algorithm(settings, search);
      const outcome = finishSearch(tree, result, settings.select, ctx);
      outcome.candidates.forEach((candidate, index) => {
        ctx.emit({ type: "candidate", index, candidate });
      });
      return outcome;
    },
  };
}

/**
 * The outcome of a search: its complete solutions become the candidates (trace status `final`), and
 * the chosen one (status `selected`) is the algorithm's own choice or the `select` rule's.
 */
export function finishSearch(
  tree: SearchTree,
  result: SearchResult,
  select: FinalSelection,
  ctx: Pick<StrategyContext, "extractAnswer" | "sameAnswer">,
): StrategyOutcome {
  const finals = result.finals;
  const candidates: Candidate[] = finals.map((node) => {
    tree.mark(node, "final");
    return tree.candidate(node, ctx.extractAnswer);
  });
  let chosen = result.chosen ? finals.indexOf(result.chosen) : -1;
  let answer: string | null | undefined;
  if (chosen < 0 && candidates.length > 0) {
    const scores = candidates.map((c) => c.score ?? Number.NaN);
    if (select === "best") {
      chosen = argmax(scores);
    } else {
      const weights = result.weights ?? scores;
      const winner =
        select === "vote"
          ? majorityVote(
              candidates.map((c) => c.answer),
              ctx.sameAnswer,
            )
          : weightedMajority(
              candidates.map((c, i) => ({ answer: c.answer, score: weights[i] })),
              ctx.sameAnswer,
            );
      if (winner) {
        // The class's representative: its best-scored member.
        chosen = winner.members[argmax(winner.members.map((m) => scores[m]!))]!;
        answer = winner.answer;
      } else {
        chosen = argmax(scores);
      }
    }
  }
  if (chosen < 0) {
    return { answer: null, output: "", candidates, chosen: -1, stopReason: result.stopReason };
  }
  tree.mark(finals[chosen]!, "selected");
  return {
    answer: answer !== undefined ? answer : candidates[chosen]!.answer,
    output: candidates[chosen]!.text,
    candidates,
    chosen,
    stopReason: result.stopReason,
  };
}

/**
 * Expands every parent with `k` next steps in one batch (fresh seeds from the run's generator), adds
 * the children to the tree and marks the parents `expanded`. Returns the children per parent.
 */
export async function expandNodes(
  search: SearchContext,
  parents: readonly SearchNode[],
  k: number | readonly number[],
  options: { greedy?: boolean; meta?: Record<string, unknown> } = {},
): Promise<SearchNode[][]> {
  const counts = parents.map((_, i) => (typeof k === "number" ? k : k[i]!));
  const requests = parents
    .map((from, i) => ({
      from,
      n: counts[i]!,
      seed: search.rng.seed(),
      ...(options.greedy ? { greedy: true } : {}),
    }))
    .filter((r) => r.n > 0);
  const steps = await search.generator.expand(requests);
  let next = 0;
  return parents.map((parent, i) => {
    if (counts[i]! <= 0) return [];
    const children = (steps[next++] ?? []).map((step) => search.tree.add(parent, step, options.meta));
    search.tree.mark(parent, "expanded");
    return children;
  });
}

/** Nodes whose text is new, in order; the repeats are marked pruned as duplicates. */
export function dropDuplicates(search: SearchContext, nodes: readonly SearchNode[]): SearchNode[] {
  const seen = new Set<string>();
  return nodes.filter((node) => {
    if (!seen.has(node.text)) {
      seen.add(node.text);
      return true;
    }
    search.tree.mark(node, "pruned", { duplicate: true });
    return false;
  });
}

/** Nodes by score, best first; NaN scores last; ties keep their order. */
export function byScore(
  nodes: readonly SearchNode[],
  score = (n: SearchNode) => n.score ?? Number.NaN,
): SearchNode[] {
  const key = (n: SearchNode) => {
    const v = score(n);
    return Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
  };
  return nodes
    .map((node, i) => ({ node, i }))
    .sort((a, b) => key(b.node) - key(a.node) || a.i - b.i)
    .map((x) => x.node);
}

/**
 * Scores nodes; with `lookahead > 0` each unfinished node is first rolled out greedily that many
 * steps (recorded in the trace as pruned `lookahead` nodes) and scored by where the rollout ends, as
 * in search-and-learn's beam search. Returns where each node's rollout ended (the node itself when it
 * was not rolled out).
 */
export async function scoreWithLookahead(
  search: SearchContext,
  nodes: readonly SearchNode[],
  lookahead: number,
): Promise<SearchNode[]> {
  const ends = [...nodes];
  for (let step = 0; step < lookahead; step++) {
    const open = ends.map((n, i) => ({ n, i })).filter((x) => !x.n.done);
    if (open.length === 0) break;
    const rolled = await expandNodes(
      search,
      open.map((x) => x.n),
      1,
      { greedy: true, meta: { lookahead: true } },
    );
    open.forEach((x, j) => {
      const child = rolled[j]![0];
      if (child) ends[x.i] = child;
    });
  }
  const scores = await scoreNodes(search, ends);
  nodes.forEach((node, i) => {
    const end = ends[i]!;
    if (end === node) return;
    for (let at: SearchNode | null = end; at && at !== node; at = at.parent) search.tree.mark(at, "pruned");
    search.tree.setScores(node, end.stepScores?.slice(0, node.depth) ?? [], scores[i]);
  });
  return ends;
}
