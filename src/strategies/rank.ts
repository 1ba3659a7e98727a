import type { Problem } from "../core/prompt.js";
import type { Candidate, StrategyContext } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import {
  askJudge,
  fillTemplate,
  formatCandidates,
  type JudgeSettings,
  parseRanking,
  parseVerdict,
  questionText,
  voteOrder,
} from "./judge.js";
import type { Layer, LayerOutcome } from "./pipeline.js";

/** Settings of the {@link rankLayer}. */
export interface RankSettings extends JudgeSettings {
  /** How many of the best candidates to pass on. */
  k: number;
  /** One listwise prompt with all candidates, or every pair compared. */
  mode: "listwise" | "pairwise";
  /** Order used when the judge's reply cannot be read: answer-vote order, or the input order. */
  fallback: "vote" | "order";
}

/**
 * Ranker layer (Archon's ranker; listwise as in RankGPT / LLM-Blender's listwise mode, pairwise as in
 * LLM-Blender's PairRanker): the judge orders the candidates and the best `k` are passed on; the
 * answer is the top one's.
 *
 * - `listwise`: one prompt with every candidate numbered `[1]…[n]`; the reply is read by
 *   {@link parseRanking}. Candidates it leaves out follow the ones it ranks, in fallback order. An
 *   unreadable reply falls back entirely (trace meta `fallback: true`).
 * - `pairwise`: each pair is judged once (n(n−1)/2 calls, in parallel), with the presentation order
 *   alternating between pairs against position bias; a candidate's score is its wins, an unreadable
 *   verdict gives each half a win, and ties go by the fallback order.
 */
export function rankLayer(settings: RankSettings, spec = "rank"): Layer {
  return {
    spec,
    needsScorer: false,
    async apply(problem: Problem, input: Candidate[], ctx: StrategyContext): Promise<LayerOutcome> {
      const base = settings.fallback === "vote" ? voteOrder(input, ctx) : input.map((_, i) => i);
      let order: number[];
      let meta: Record<string, unknown>;
      if (input.length === 1) {
        order = [0];
        meta = { layer: "rank", mode: settings.mode, judged: false };
      } else if (settings.mode === "listwise") {
        const reply = await askJudge(
          ctx,
          fillTemplate(settings.template, {
            question: questionText(problem),
            candidates: formatCandidates(input),
            n: input.length,
            k: settings.k,
          }),
          settings,
        );
        const parsed = parseRanking(reply.text, input.length);
        order = parsed ? [...parsed, ...base.filter((i) => !parsed.includes(i))] : base;
        meta = {
          layer: "rank",
          mode: "listwise",
          reply: reply.text,
          judgeTokens: reply.completionTokens,
          fallback: parsed === null,
        };
      } else {
        const { wins, replies, unreadable, tokens } = await pairwise(problem, input, ctx, settings);
        const position = new Map(base.map((i, r) => [i, r]));
        order = input
          .map((_, i) => i)
          .sort((a, b) => wins[b]! - wins[a]! || position.get(a)! - position.get(b)!);
        meta = { layer: "rank", mode: "pairwise", wins, replies, unreadable, judgeTokens: tokens };
      }
      const log = new CandidateLog(ctx, { ...meta, ranking: order }, false);
      const ranked = order.map((i) => input[i]!);
      ranked.forEach((c, r) => {
        log.add(c, r < settings.k ? "selected" : "pruned", { rank: r + 1, input: order[r] });
      });
      const top = ranked[0]!;
      return {
        answer: top.answer,
        output: top.text,
        candidates: input,
        chosen: order[0]!,
        stopReason: "completed",
        passOn: ranked.slice(0, settings.k),
      };
    },
  };
}

async function pairwise(
  problem: Problem,
  input: Candidate[],
  ctx: StrategyContext,
  settings: RankSettings,
): Promise<{ wins: number[]; replies: string[]; unreadable: number; tokens: number }> {
  const pairs: [number, number][] = [];
  for (let i = 0; i < input.length; i++) {
    for (let j = i + 1; j < input.length; j++) pairs.push(pairs.length % 2 === 0 ? [i, j] : [j, i]);
  }
  const question = questionText(problem);
  const replies = await Promise.all(
    pairs.map(([a, b]) =>
      askJudge(
        ctx,
        fillTemplate(settings.template, { question, a: input[a]!.text.trim(), b: input[b]!.text.trim() }),
        settings,
      ),
    ),
  );
  const wins = new Array<number>(input.length).fill(0);
  let unreadable = 0;
  pairs.forEach(([a, b], p) => {
    const verdict = parseVerdict(replies[p]!.text);
    if (verdict === "A") wins[a]! += 1;
    else if (verdict === "B") wins[b]! += 1;
    else {
      unreadable++;
      wins[a]! += 0.5;
      wins[b]! += 0.5;
    }
  });
  return {
    wins,
    replies: replies.map((r) => r.text),
    unreadable,
    tokens: replies.reduce((s, r) => s + r.completionTokens, 0),
  };
}
