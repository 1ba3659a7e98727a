import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import type { FinishReason } from "../core/model.js";
import { type Problem, promptText } from "../core/prompt.js";
import type { Candidate, StrategyContext } from "../core/strategy.js";
import { groupAnswers } from "./vote.js";

/**
 * What the judge layers (rank, fuse, critique) share: prompt templates, the judge call and robust
 * parsing of the judge's reply. The judge is `ctx.judge` when one was given, else the policy model.
 */

/**
 * Listwise ranking prompt. Placeholders: `{{question}}`, `{{candidates}}` (numbered `[1]`, `[2]`, …),
 * `{{n}}`, `{{k}}`.
 */
export const RANK_TEMPLATE = `You are an expert judge. Below are a problem and {{n}} candidate solutions. Rank them from best to worst: correctness of the final answer first, then soundness of the reasoning.

Problem:
{{question}}

{{candidates}}

Reply with the ranking only, best first, by candidate number, for example: [2] > [1] > [3]
Ranking:`;

/** Pairwise comparison prompt. Placeholders: `{{question}}`, `{{a}}`, `{{b}}`. */
export const PAIRWISE_TEMPLATE = `You are an expert judge. Which of the two solutions to the problem below is better? Judge correctness of the final answer first, then soundness of the reasoning.

Problem:
{{question}}

Solution A:
{{a}}

Solution B:
{{b}}

Reply with one letter, A or B.
Better solution:`;

/** Fusion prompt. Placeholders: `{{question}}`, `{{candidates}}`, `{{n}}`. */
export const FUSE_TEMPLATE = `You are given a problem and {{n}} candidate solutions written by other models. Some of them may be wrong. Evaluate them critically, then write one solution that is correct and complete, better than each of them, in the same format as the candidates (including how the final answer is written). Do not mention the candidates.

Problem:
{{question}}

{{candidates}}

Solution:
`;

/**
 * Critique-and-revise prompt. Placeholders: `{{question}}`, `{{solution}}`. The revision is read after
 * the marker (default `Revised solution:`).
 */
export const CRITIQUE_TEMPLATE = `Review the solution to the problem below step by step. Point out every error, or say that it is correct. Then write the complete corrected solution, in the same format, after a line "Revised solution:".

Problem:
{{question}}

Solution:
{{solution}}

Review:
`;

/** Parameters every judge layer takes (spec values arrive as strings). */
export const judgeParams = {
  judgeTemperature: z.coerce
    .number()
    .min(0)
    .max(5)
    .default(0)
    .describe("sampling temperature of the judge (0 is greedy)"),
  judgeMaxTokens: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("most tokens of one judge reply (default: the run's maxTokens)"),
  template: z
    .string()
    .min(1)
    .optional()
    .describe("path of a prompt template file that replaces the built-in one"),
};

/** Judge settings of one layer. */
export interface JudgeSettings {
  judgeTemperature: number;
  judgeMaxTokens?: number;
  /** The template text (already read from its file). */
  template: string;
}

/**
 * Loads a template file, or returns the built-in one; a file that cannot be read or lacks a required
 * placeholder is a {@link ConfigError}.
 */
export function loadTemplate(path: string | undefined, builtin: string, required: readonly string[]): string {
  if (path === undefined) return builtin;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read the judge template ${path}: ${(cause as Error).message}`, { cause });
  }
  const missing = required.filter((p) => !text.includes(`{{${p}}}`));
  if (missing.length > 0) {
    throw new ConfigError(`judge template ${path} lacks ${missing.map((p) => `{{${p}}}`).join(", ")}`);
  }
  return text;
}

/** Fills `{{name}}` placeholders; unknown placeholders are left as they are. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** The problem's text as the judge sees it. */
export function questionText(problem: Problem): string {
  return promptText(problem.prompt).trim();
}

/** Candidates numbered from 1 for a listwise prompt: `[1]\n<text>\n\n[2]\n…`. */
export function formatCandidates(candidates: readonly Candidate[]): string {
  return candidates.map((c, i) => `[${i + 1}]\n${c.text.trim()}`).join("\n\n");
}

/** The judge's reply and what it cost (its tokens, for the trace). */
export interface JudgeReply {
  text: string;
  completionTokens: number;
  finishReason: FinishReason;
}

/**
 * Asks the judge (`ctx.judge`, else the policy model) one question: as a chat message when the model
 * takes chat prompts, else as raw text.
 */
export async function askJudge(
  ctx: StrategyContext,
  content: string,
  settings: JudgeSettings,
): Promise<JudgeReply> {
  const judge = ctx.judge ?? ctx.model;
  const response = await judge.complete({
    prompt: judge.capabilities.chat ? { messages: [{ role: "user", content }] } : content,
    n: 1,
    temperature: settings.judgeTemperature,
    maxTokens: settings.judgeMaxTokens ?? ctx.defaults.maxTokens,
    seed: ctx.rng.seed(),
    signal: ctx.signal,
  });
  const completion = response.completions[0];
  return {
    text: completion?.text ?? "",
    completionTokens: completion?.completionTokens ?? 0,
    finishReason: completion?.finishReason ?? "stop",
  };
}

/**
 * Reads a ranking of `n` candidates (0-based indices, best first) from a judge's reply; null when
 * none can be read. Accepted: references like `[2]`, `#2`, `candidate 2` anywhere (in order of
 * appearance), else a line made only of numbers and separators (`2 > 1 > 3`, `2, 1, 3`). Numbers out
 * of range and repeats are skipped; candidates the reply leaves out are not in the list.
 */
export function parseRanking(reply: string, n: number): number[] | null {
  const refs = [
    ...reply.matchAll(/\[\s*(\d+)\s*\]|#\s*(\d+)|\b(?:candidate|solution|response)\s*(\d+)/gi),
  ].map((m) => Number(m[1] ?? m[2] ?? m[3]));
  let numbers = refs;
  if (valid(numbers, n).length === 0) {
    const line = reply.split("\n").find((l) => /\d/.test(l) && /^[\s\d>,;|.]+$/.test(l));
    numbers = line ? [...line.matchAll(/\d+/g)].map((m) => Number(m[0])) : [];
  }
  const ranking = valid(numbers, n);
  return ranking.length > 0 ? ranking : null;
}

function valid(numbers: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (const k of numbers) {
    if (Number.isInteger(k) && k >= 1 && k <= n && !out.includes(k - 1)) out.push(k - 1);
  }
  return out;
}

/**
 * Reads a pairwise verdict: `A` or `B` (`1`/`2` also accepted) as the whole reply or its first word
 * (`B.`, `(A)`, `Answer: B`), or `solution A` / `candidate B` anywhere; null otherwise. A letter glued
 * to more text (`A:12`) is not a verdict.
 */
export function parseVerdict(reply: string): "A" | "B" | null {
  const head =
    /^\W*(?:(?:answer|better(?:\s+solution)?|verdict)\s*[:-]?\s*)?[([]?\s*([AB12])\s*[)\]]?(?=[\s.,!]|$)/i.exec(
      reply.trim(),
    );
  const named = /\b(?:solution|candidate|response)\s+([AB])\b/i.exec(reply);
  const token = (head?.[1] ?? named?.[1])?.toUpperCase();
  if (token === "A" || token === "1") return "A";
  if (token === "B" || token === "2") return "B";
  return null;
}

/**
 * The text after the last occurrence of `marker` (case-insensitive), trimmed of leading blank lines;
 * null when the marker is absent or nothing follows it.
 */
export function parseRevision(reply: string, marker: string): string | null {
  const at = reply.toLowerCase().lastIndexOf(marker.toLowerCase());
  if (at < 0) return null;
  const rest = reply.slice(at + marker.length).replace(/^[ \t]*\r?\n/, "");
  return rest.trim() === "" ? null : rest;
}

/**
 * Fallback order when a judge's reply cannot be read: by the size of the candidate's answer class
 * (self-consistency), then by input order; candidates without an answer come last.
 */
export function voteOrder(candidates: readonly Candidate[], ctx: StrategyContext): number[] {
  const size = new Array<number>(candidates.length).fill(0);
  for (const c of groupAnswers(
    candidates.map((x) => x.answer),
    ctx.sameAnswer,
  )) {
    for (const m of c.members) size[m] = c.members.length;
  }
  return candidates.map((_, i) => i).sort((a, b) => size[b]! - size[a]! || a - b);
}
