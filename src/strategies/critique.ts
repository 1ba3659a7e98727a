import type { Problem } from "../core/prompt.js";
import type { Candidate, StrategyContext } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import { askJudge, fillTemplate, type JudgeSettings, parseRevision, questionText } from "./judge.js";
import type { Layer, LayerOutcome } from "./pipeline.js";
import { majorityVote } from "./vote.js";

/** Settings of the {@link critiqueLayer}. */
export interface CritiqueSettings extends JudgeSettings {
  /** How many input candidates (the first ones) to critique and revise. */
  k: number;
  /** Line after which the judge writes its revised solution. */
  marker: string;
}

/**
 * Critic-and-revise layer (Archon's critic feeding a reviser; Self-Refine's feedback → refine, Madaan
 * et al. 2023, with the judge as critic): for each of the first `k` candidates the judge writes a
 * review and a revised solution after the marker, in parallel. A reply without the marker, or whose
 * revision has no extractable answer, keeps the original candidate (trace meta `fallback: true`). The
 * revised candidates are passed on; the answer is their majority vote (ties: the earlier candidate).
 */
export function critiqueLayer(settings: CritiqueSettings, spec = "critique"): Layer {
  return {
    spec,
    needsScorer: false,
    async apply(problem: Problem, input: Candidate[], ctx: StrategyContext): Promise<LayerOutcome> {
      const targets = input.slice(0, settings.k);
      const question = questionText(problem);
      const replies = await Promise.all(
        targets.map((c) =>
          askJudge(ctx, fillTemplate(settings.template, { question, solution: c.text.trim() }), settings),
        ),
      );
      const log = new CandidateLog(ctx, {
        layer: "critique",
        inputs: targets.length,
        judgeTokens: replies.reduce((sum, r) => sum + r.completionTokens, 0),
      });
      const revised = targets.map((original, i) => {
        const reply = replies[i]!;
        const text = parseRevision(reply.text, settings.marker);
        const answer = text === null ? null : ctx.extractAnswer(text);
        if (text === null || answer === null) {
          log.add(original, "candidate", { input: i, fallback: true, review: reply.text });
          return original;
        }
        const candidate: Candidate = {
          text,
          answer,
          completionTokens: reply.completionTokens,
          finishReason: reply.finishReason,
        };
        log.add(candidate, "candidate", {
          input: i,
          review: reply.text.slice(0, reply.text.length - text.length),
        });
        return candidate;
      });
      const winner = majorityVote(
        revised.map((c) => c.answer),
        ctx.sameAnswer,
      );
      const chosen = winner ? winner.members[0]! : 0;
      log.outcome(chosen, "completed");
      return {
        answer: winner ? winner.answer : (revised[0]?.answer ?? null),
        output: revised[chosen]?.text ?? "",
        candidates: revised,
        chosen: revised.length > 0 ? chosen : -1,
        stopReason: "completed",
        passOn: revised,
      };
    },
  };
}
