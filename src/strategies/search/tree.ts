import type { FinishReason } from "../../core/model.js";
import type { AnswerExtractor, StepAggregation } from "../../core/scorer.js";
import type { Candidate } from "../../core/strategy.js";
import type { TraceRecorder, TraceStatus } from "../../core/trace.js";
import { type PartialSolution, pathScore, type Step } from "./steps.js";

/** A node of a search tree: one step and the partial solution it ends. */
export interface SearchNode extends PartialSolution {
  /** Its trace node id. */
  readonly id: number;
  readonly parent: SearchNode | null;
  /** The step this node added (empty at the root). */
  readonly step: string;
  /** The whole solution up to and including this step. */
  readonly text: string;
  /** Tokens generated from the root to this node. */
  readonly tokens: number;
  /** Tokens of this node's step. */
  readonly stepTokens: number;
  /** Steps from the root (the root is 0). */
  readonly depth: number;
  /** The solution is complete at this node. */
  readonly done: boolean;
  readonly finishReason: FinishReason;
  /** Scorer's per-step scores of the path, when scored. */
  stepScores?: number[];
  /** Aggregated score of the path, when scored. */
  score?: number;
}

/**
 * A search tree that records itself in the run's trace as it grows: every node is a trace node with
 * its step text, tokens, score and status (see docs/trace.md).
 */
export class SearchTree {
  readonly root: SearchNode;
  readonly nodes: SearchNode[] = [];

  constructor(
    private readonly trace: TraceRecorder,
    private readonly aggregation: StepAggregation,
    meta: Record<string, unknown>,
  ) {
    const id = trace.add({ parent: null, text: "", tokens: 0, status: "expanded", meta });
    this.root = {
      id,
      parent: null,
      step: "",
      text: "",
      tokens: 0,
      stepTokens: 0,
      depth: 0,
      done: false,
      finishReason: "stop",
    };
    this.nodes.push(this.root);
  }

  /** Adds the node for `step` under `parent`, with status `candidate` until the search decides. */
  add(parent: SearchNode, step: Step, meta?: Record<string, unknown>): SearchNode {
    const id = this.trace.add({
      parent: parent.id,
      text: step.text,
      tokens: step.tokens,
      status: "candidate",
      ...(meta ? { meta } : {}),
    });
    const node: SearchNode = {
      id,
      parent,
      step: step.text,
      text: parent.text + step.text,
      tokens: parent.tokens + step.tokens,
      stepTokens: step.tokens,
      depth: parent.depth + 1,
      done: step.done,
      finishReason: step.finishReason,
    };
    this.nodes.push(node);
    return node;
  }

  /**
   * Stores a node's per-step scores and its score: their aggregate under this tree's aggregation,
   * unless `value` is given (a lookahead's score standing in for the node's).
   */
  setScores(node: SearchNode, steps: number[], value?: number): number {
    node.stepScores = steps;
    node.score = value ?? pathScore(steps, this.aggregation);
    this.trace.update(node.id, { score: node.score });
    return node.score;
  }

  /** Sets a node's trace status, merging `meta` into its trace metadata. */
  mark(node: SearchNode, status: TraceStatus, meta?: Record<string, unknown>): void {
    const old = this.trace.nodes[node.id]?.meta;
    this.trace.update(node.id, { status, ...(meta ? { meta: { ...old, ...meta } } : {}) });
  }

  /** Records fields of a node's trace entry (visits and value of MCTS, weights of particles). */
  note(node: SearchNode, patch: { visits?: number; value?: number; meta?: Record<string, unknown> }): void {
    const old = this.trace.nodes[node.id]?.meta;
    const { meta, ...rest } = patch;
    this.trace.update(node.id, { ...rest, ...(meta ? { meta: { ...old, ...meta } } : {}) });
  }

  /** Records the answer of a complete solution on its trace node. */
  setAnswer(node: SearchNode, answer: string | null): void {
    this.trace.update(node.id, { answer });
  }

  /** A complete (or, at a stop, partial) solution as a strategy candidate. */
  candidate(node: SearchNode, extractAnswer: AnswerExtractor): Candidate {
    const answer = extractAnswer(node.text);
    this.setAnswer(node, answer);
    const c: Candidate = {
      text: node.text,
      answer,
      completionTokens: node.tokens,
      finishReason: node.finishReason,
    };
    if (node.score !== undefined) c.score = node.score;
    if (node.stepScores) c.stepScores = node.stepScores;
    return c;
  }
}

/** The nodes from the root's child down to `node`. */
export function pathOf(node: SearchNode): SearchNode[] {
  const path: SearchNode[] = [];
  for (let at: SearchNode | null = node; at?.parent; at = at.parent) path.unshift(at);
  return path;
}
