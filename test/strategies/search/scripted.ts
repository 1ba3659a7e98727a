/**
 * A deterministic world for the search algorithms' tests: a scripted step generator over a tree of
 * known steps, a scripted step scorer with known step scores, and a search context around them.
 */

import { Rng } from "../../../src/core/rng.js";
import type { StopReason } from "../../../src/core/strategy.js";
import { TraceRecorder } from "../../../src/core/trace.js";
import type { SearchContext } from "../../../src/strategies/search/search.js";
import type { ExpandRequest, Step, StepGenerator, StepScorer } from "../../../src/strategies/search/steps.js";
import { SearchTree } from "../../../src/strategies/search/tree.js";

/**
 * Next steps by partial solution: `steps[prefix]` lists the steps that may follow `prefix` (the root
 * is `""`). Sample `i` of a request gets option `pick(prefix, i, seed)`, by default `i` modulo the
 * number of options, so a request for as many samples as there are options gets each one once. A
 * step starting with `A:` ends the solution; a prefix with no entry is a dead end (no steps).
 */
export class ScriptedSteps implements StepGenerator {
  readonly requests: ExpandRequest[] = [];
  generated = 0;

  constructor(
    private readonly steps: Record<string, string[]>,
    private readonly pick: (prefix: string, i: number, seed: number) => number = (_p, i) => i,
  ) {}

  async expand(requests: readonly ExpandRequest[]): Promise<Step[][]> {
    this.requests.push(...requests);
    return requests.map((r) => {
      const options = this.steps[r.from.text];
      if (!options || options.length === 0) return [];
      return Array.from({ length: r.n }, (_, i) => {
        const text = options[this.pick(r.from.text, r.greedy ? 0 : i, r.seed) % options.length]!;
        this.generated += text.length;
        const done = text.startsWith("A:");
        return { text, tokens: text.length, done, finishReason: "stop" as const };
      });
    });
  }
}

/** Step scores by partial solution: `scores[text]` is the score of `text`'s last step (default 0.5). */
export class ScriptedScores implements StepScorer {
  readonly batches: string[][] = [];

  constructor(private readonly scores: Record<string, number>) {}

  async score(solutions: readonly string[]): Promise<number[][]> {
    this.batches.push([...solutions]);
    return solutions.map((text) => {
      const lines = text.split("\n").filter((l) => l !== "");
      return lines.map((_, k) => this.scores[`${lines.slice(0, k + 1).join("\n")}\n`] ?? 0.5);
    });
  }
}

/** A search context over scripted pieces, with its trace; `halt` can be set by the test. */
export function scriptedSearch(
  generator: StepGenerator,
  scorer: StepScorer,
  options: {
    seed?: number;
    aggregation?: "last" | "min" | "product" | "mean";
    halt?: () => StopReason | null;
  } = {},
): SearchContext & { trace: TraceRecorder; messages: string[] } {
  const trace = new TraceRecorder();
  const messages: string[] = [];
  return {
    generator,
    scorer,
    tree: new SearchTree(trace, options.aggregation ?? "last", { strategy: "test" }),
    rng: new Rng(options.seed ?? 1),
    halt: options.halt ?? (() => null),
    progress: (m) => messages.push(m),
    trace,
    messages,
  };
}

/** The search settings the tests share, with overrides. */
export function settings<T extends object>(extra: T) {
  return {
    temperature: 0.8,
    topP: 1,
    topK: 0,
    stepTokens: 64,
    maxSteps: 32,
    aggregation: "last" as const,
    select: "best" as const,
    ...extra,
  };
}
