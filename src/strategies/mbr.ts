import type { Problem } from "../core/prompt.js";
import type { Candidate, Strategy, StrategyContext, StrategyOutcome } from "../core/strategy.js";
import { CandidateLog } from "./candidates.js";
import type { SampleSettings } from "./params.js";
import { type Layer, type Selection, selectionLayer } from "./pipeline.js";
import { sampleCandidates, stopReasonOf } from "./rounds.js";
import { argmax } from "./vote.js";

/** Similarity of two candidates in [0, 1] (higher is closer); the utility of minimum Bayes risk. */
export type Similarity = (a: Candidate, b: Candidate, ctx: StrategyContext) => number;

/** Name of a built-in similarity. */
export type SimilarityName = "answer" | "lines" | "words" | "edit";

/** Built-in similarities by spec name. */
export const similarities: Record<SimilarityName, Similarity> = {
  /** 1 when both answers were extracted and are equivalent, else 0: MBR then picks a majority answer. */
  answer: (a, b, ctx) =>
    a.answer !== null && b.answer !== null && ctx.sameAnswer(a.answer, b.answer) ? 1 : 0,
  /** Jaccard overlap of the sets of non-empty trimmed lines (shared reasoning steps). */
  lines: (a, b) => jaccard(lines(a.text), lines(b.text)),
  /** Jaccard overlap of the sets of whitespace-separated words. */
  words: (a, b) => jaccard(words(a.text), words(b.text)),
  /** 1 − Levenshtein distance / longer length, on characters (quadratic: for short texts). */
  edit: (a, b) => editSimilarity(a.text, b.text),
};

/**
 * Minimum Bayes risk selection: the candidate with the highest total similarity to all the others
 * (the expected utility under the empirical distribution of samples). NaN similarities count as 0;
 * ties go to the earliest candidate. Returns the index (-1 for none) and every utility.
 */
export function mbrSelect(
  candidates: readonly Candidate[],
  similarity: Similarity,
  ctx: StrategyContext,
): { chosen: number; utilities: number[] } {
  const n = candidates.length;
  const utilities = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const raw = similarity(candidates[i]!, candidates[j]!, ctx);
      const s = Number.isFinite(raw) ? raw : 0;
      utilities[i]! += s;
      utilities[j]! += s;
    }
  }
  return { chosen: argmax(utilities), utilities };
}

/** Settings of {@link mbr}. */
export interface MbrSettings extends SampleSettings {
  /** A built-in similarity name or a function. Default `answer`. */
  similarity?: SimilarityName | Similarity;
}

function resolve(similarity: MbrSettings["similarity"]): Similarity {
  if (typeof similarity === "function") return similarity;
  return similarities[similarity ?? "answer"];
}

function select(input: Candidate[], ctx: StrategyContext, similarity: Similarity): Selection {
  const { chosen, utilities } = mbrSelect(input, similarity, ctx);
  return {
    chosen,
    answer: chosen >= 0 ? input[chosen]!.answer : null,
    meta: { utilities },
  };
}

/**
 * Minimum Bayes risk decoding over samples (Kumar & Byrne 2004; for LLM reasoning, Bertsch et al.
 * 2023 "It's MBR all the way down"): sample `n` solutions and return the one most similar to the
 * rest. With the default answer-equivalence similarity this is self-consistency that returns a
 * representative solution; `lines`, `words`, `edit` compare whole texts, and any function can be
 * plugged in through the library API.
 */
export function mbr(settings: MbrSettings, spec = "mbr"): Strategy {
  const similarity = resolve(settings.similarity);
  return {
    spec,
    needsScorer: false,
    async run(problem: Problem, ctx: StrategyContext): Promise<StrategyOutcome> {
      const log = new CandidateLog(ctx, { strategy: "mbr" });
      let stopReason: StrategyOutcome["stopReason"] = "completed";
      try {
        for (const c of await sampleCandidates(problem, ctx, settings, false)) log.add(c);
      } catch (error) {
        stopReason = stopReasonOf(error);
      }
      const selection = select(log.candidates, ctx, similarity);
      ctx.trace.update(log.root, { meta: { strategy: "mbr", ...selection.meta } });
      return log.outcome(selection.chosen, stopReason);
    },
  };
}

/** MBR as a pipeline layer over the previous stage's candidates. */
export function mbrLayer(options: { similarity?: SimilarityName | Similarity }, spec = "mbr"): Layer {
  const similarity = resolve(options.similarity);
  return selectionLayer(spec, false, async (_problem, input, ctx) => select(input, ctx, similarity));
}

function lines(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
  );
}

function words(text: string): Set<string> {
  return new Set(text.split(/\s+/).filter((w) => w !== ""));
}

/** |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return shared / (a.size + b.size - shared);
}

/** 1 − Levenshtein(a, b) / max(|a|, |b|); 1 for two empty strings. */
export function editSimilarity(a: string, b: string): number {
  if (a.length === 0 && b.length === 0) return 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(
        Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    }
    previous = row;
  }
  return 1 - previous[b.length]! / Math.max(a.length, b.length);
}
