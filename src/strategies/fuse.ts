import type { Problem } from "../core/prompt.js";
import type { Candidate, StrategyContext } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import { askJudge, fillTemplate, formatCandidates, type JudgeSettings, questionText } from "./judge.js";
import type { Layer, LayerOutcome } from "./pipeline.js";

/**
 * Fuser layer (Archon's fuser; the aggregator of Mixture-of-Agents, Wang et al. 2024): the judge reads
 * every input candidate and writes one new solution, which is passed on and chosen. When no answer can
 * be extracted from the fused text (a judge that ignored the format), the first input candidate is
 * chosen and passed on instead — the best one when a ranker came before — and the trace root says
 * `fallback: true`. The fused candidate is recorded either way.
 */
export function fuseLayer(settings: JudgeSettings, spec = "fuse"): Layer {
  return {
    spec,
    needsScorer: false,
    async apply(problem: Problem, input: Candidate[], ctx: StrategyContext): Promise<LayerOutcome> {
      const reply = await askJudge(
        ctx,
        fillTemplate(settings.template, {
          question: questionText(problem),
          candidates: formatCandidates(input),
          n: input.length,
        }),
        settings,
      );
      const fused: Candidate = {
        text: reply.text,
        answer: ctx.extractAnswer(reply.text),
        completionTokens: reply.completionTokens,
        finishReason: reply.finishReason,
      };
      const fallback = fused.answer === null;
      const log = new CandidateLog(ctx, {
        layer: "fuse",
        inputs: input.length,
        fallback,
        judgeTokens: reply.completionTokens,
      });
      log.add(fused, fallback ? "pruned" : "selected", { fused: true });
      if (fallback) {
        const first = input[0]!;
        log.add(first, "selected", { fallback: true });
        return {
          answer: first.answer,
          output: first.text,
          candidates: [fused, first],
          chosen: 1,
          stopReason: "completed",
          passOn: [first],
        };
      }
      return {
        answer: fused.answer,
        output: fused.text,
        candidates: [fused],
        chosen: 0,
        stopReason: "completed",
        passOn: [fused],
      };
    },
  };
}
