/** What happened to a node of a strategy's search tree. */
export type TraceStatus = "candidate" | "expanded" | "pruned" | "resampled" | "selected" | "final";

/**
 * One node of a strategy's trace: a whole candidate for parallel strategies, one step for step-level
 * search. The schema is documented in docs/trace.md.
 */
export interface TraceNode {
  id: number;
  parent: number | null;
  /** The text this node added (a step, or a whole solution). */
  text: string;
  /** Tokens generated for this node. */
  tokens: number;
  status: TraceStatus;
  /** Scorer value of this node (aggregated over steps for a whole solution). */
  score?: number;
  /** Extracted answer, for complete solutions. */
  answer?: string | null;
  visits?: number;
  value?: number;
  meta?: Record<string, unknown>;
}

/** Collects trace nodes; ids are assigned in insertion order, starting at 0. */
export class TraceRecorder {
  private readonly list: TraceNode[] = [];

  /** Adds a node and returns its id. */
  add(node: Omit<TraceNode, "id">): number {
    const id = this.list.length;
    this.list.push({ id, ...node });
    return id;
  }

  /** Updates fields of an existing node. */
  update(id: number, patch: Partial<Omit<TraceNode, "id">>): void {
    const node = this.list[id];
    if (node) Object.assign(node, patch);
  }

  get nodes(): readonly TraceNode[] {
    return this.list;
  }
}
