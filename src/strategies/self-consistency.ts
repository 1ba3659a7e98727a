import type { Problem } from "../core/prompt.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { type Layer, type Selection, selectionLayer } from "./pipeline.js";
import { sampleCandidates, stopReasonOf } from "./rounds.js";
import { majorityVote, voteCounts } from "./vote.js";

/**
 * Self-consistency (Wang et al. 2022): sample `n` solutions, extract their answers and return the
 * most frequent one, comparing answers by equivalence rather than by string. The trace root records
 * the vote count of every answer (`meta.votes`) and how many samples had no answer (`meta.noAnswer`).
 */
export function selfConsistency(settings: SampleSettings, spec = "self-consistency"): Strategy {
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const log = new CandidateLog(ctx, { strategy: "self-consistency" });
      let stopReason: StrategyOutcome["stopReason"] = "completed";
      try {
        for (const c of await sampleCandidates(problem, ctx, settings, false)) log.add(c);
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      return voteOutcome(log, ctx, stopReason);
    },
  };
}

/** The majority vote over a log's candidates as an outcome (the chosen one: the class's first). */
export function voteOutcome(
  log: CandidateLog,
  ctx: StrategyContext,
  stopReason: StrategyOutcome["stopReason"],
  meta: Record<string, unknown> = {},
): StrategyOutcome {
  const selection = voteSelection(log.candidates, ctx);
  const root = ctx.trace.nodes[log.root];
  ctx.trace.update(log.root, { meta: { ...root?.meta, ...selection.meta, ...meta } });
  if (selection.chosen < 0) {
    const outcome = log.outcome(-1, stopReason);
    return { ...outcome, output: log.candidates[0]?.text ?? "" };
  }
  return log.outcome(selection.chosen, stopReason, {
    answer: selection.answer,
    members: selection.members ?? [],
  });
}

function voteSelection(input: readonly Candidate[], ctx: StrategyContext): Selection {
  const winner = majorityVote(
    input.map((c) => c.answer),
    ctx.sameAnswer,
  );
  const meta = voteCounts(input, ctx.sameAnswer);
  if (!winner) return { chosen: -1, answer: null, meta };
  return { chosen: winner.members[0]!, answer: winner.answer, members: winner.members, meta };
}

/** Majority vote as a pipeline layer: passes on the first candidate of the winning answer. */
export function voteLayer(spec = "vote"): Layer {
  return selectionLayer(spec, false, async (_problem, input, ctx) => voteSelection(input, ctx));
}
