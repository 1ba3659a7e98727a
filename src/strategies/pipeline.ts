import { ConfigError } from "../core/errors.js";
import type { Problem } from "../core/prompt.js";
import { parseSpec } from "../core/spec.js";
import type { Candidate, StopReason, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import { stopReasonOf } from "./rounds.js";

/**
 * Composition of strategies in the Archon / mixture-of-agents sense: `sample:n=8 | rank:k=3 | fuse`.
 * The first stage is any strategy (it generates); every later stage is a {@link Layer} that takes
 * the candidates the previous stage passed on and passes on its own.
 */

/** What a layer returns: its outcome plus the candidates the next layer gets. */
export interface LayerOutcome extends StrategyOutcome {
  /** The candidates handed to the next layer: the top-k of a ranking, the fused answer, … */
  passOn: Candidate[];
}

/** One stage after the first of a pipeline: it works on given candidates instead of sampling. */
export interface Layer {
  /** Canonical spec, e.g. `rank:k=3,mode=listwise`. */
  readonly spec: string;
  readonly needsScorer: boolean;
  /**
   * Works on the previous stage's candidates. `candidates` of the outcome are the ones it looked at or
   * produced (recorded by the pipeline), `chosen` indexes them, `passOn` goes to the next layer.
   */
  apply(problem: Problem, input: Candidate[], ctx: StrategyContext): Promise<LayerOutcome>;
}

/** The separator of pipeline stages. */
export const PIPE = "|";

/** True when a spec has more than one stage. */
export function isPipeline(text: string): boolean {
  return text.includes(PIPE);
}

/**
 * Splits `a | b | c` into trimmed stage specs, checking that every stage has a name. The stages are
 * parsed by the single-spec grammar of `core/spec.ts`; values cannot contain `|`.
 */
export function splitPipeline(text: string): string[] {
  const stages = text.split(PIPE).map((s) => s.trim());
  if (stages.length < 2 || stages.some((s) => s === "")) {
    throw new ConfigError(`invalid pipeline "${text}": an empty stage`, {
      hint: "write STRATEGY | LAYER | LAYER, e.g. sample:n=8 | rank:k=3 | fuse",
    });
  }
  for (const stage of stages) parseSpec(stage, "pipeline stage");
  return stages;
}

/**
 * A pipeline as one {@link Strategy}. The result's `candidates` are every candidate any stage
 * produced or looked at, each once, in order of first appearance; `chosen` and `answer` are the last
 * stage's. A spent budget or an abort during a later stage ends the pipeline with the last finished
 * stage's choice and that stop reason.
 */
export function pipelineStrategy(first: Strategy, layers: readonly Layer[], spec?: string): Strategy {
  return {
    spec: spec ?? [first.spec, ...layers.map((l) => l.spec)].join(` ${PIPE} `),
    needsScorer: first.needsScorer || layers.some((l) => l.needsScorer),
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const all: Candidate[] = [];
      const seen = new Set<Candidate>();
      const record = (list: readonly Candidate[]) => {
        for (const c of list) {
          if (!seen.has(c)) {
            seen.add(c);
            all.push(c);
          }
        }
      };
      const firstOutcome = await first.run(problem, ctx);
      record(firstOutcome.candidates);
      let stopReason: StopReason = firstOutcome.stopReason;
      let last: StrategyOutcome = firstOutcome;
      let current = firstOutcome.candidates;
      for (const layer of layers) {
        if (stopReason !== "completed" && stopReason !== "early-stop") break;
        if (ctx.signal?.aborted) {
          stopReason = "aborted";
          break;
        }
        if (current.length === 0) break;
        try {
          const outcome = await layer.apply(problem, current, ctx);
          record(outcome.candidates);
          last = outcome;
          current = outcome.passOn;
          if (outcome.stopReason !== "completed") stopReason = outcome.stopReason;
        } catch (error) {
          stopReason = stopReasonOf(error);
        }
      }
      const chosen = last.chosen >= 0 ? all.indexOf(last.candidates[last.chosen]!) : -1;
      return { answer: last.answer, output: last.output, candidates: all, chosen, stopReason };
    },
  };
}

/**
 * A layer used on its own: sample with the first strategy, then apply the layer, e.g. `rank:n=8` is
 * `sample:n=8 | rank`.
 */
export function sampleThen(first: Strategy, layer: Layer, spec: string): Strategy {
  return pipelineStrategy(first, [layer], spec);
}

/** What a selection rule returns: the chosen input (or -1), the answer and notes for the trace. */
export interface Selection {
  chosen: number;
  answer: string | null;
  /** Inputs that share the chosen answer (marked selected in the trace). */
  members?: number[];
  meta?: Record<string, unknown>;
}

/**
 * A layer that picks one of its input candidates (a vote, best-of-n, MBR) and passes on only that one.
 * Its trace root lists the inputs again, with the chosen ones marked selected.
 */
export function selectionLayer(
  spec: string,
  needsScorer: boolean,
  select: (problem: Problem, input: Candidate[], ctx: StrategyContext) => Promise<Selection>,
): Layer {
  return {
    spec,
    needsScorer,
    async apply(problem: Problem, input: Candidate[], ctx: StrategyContext): Promise<LayerOutcome> {
      const selection = await select(problem, input, ctx);
      const log = new CandidateLog(ctx, { layer: spec, ...selection.meta }, false);
      for (const c of input) log.add(c);
      const outcome = log.outcome(selection.chosen, "completed", {
        answer: selection.answer,
        ...(selection.members ? { members: selection.members } : {}),
      });
      return { ...outcome, passOn: outcome.chosen >= 0 ? [input[outcome.chosen]!] : [] };
    },
  };
}
