/**
 * Rows of the run store's tables and their records: JSON columns parsed and serialised, booleans as
 * 0/1, absent optional fields as NULL. The INSERT statements sit next to the values they take, so that
 * their column order is written down once.
 */
import type { Prompt } from "../core/prompt.js";
import type { Usage } from "../core/usage.js";
import type { EvalProblem } from "./datasets/types.js";
import type { ResultRecord, SampleRecord, StoredProblem } from "./store-records.js";

/** A row of `problems` as better-sqlite3 returns it. */
export interface ProblemRow {
  idx: number;
  id: string;
  level: number | null;
  gold: string;
  prompt: string;
  raw_prompt: string | null;
  meta: string;
  completed_at: string | null;
}

/** A row of `samples` as better-sqlite3 returns it. */
export interface SampleRow {
  problem_id: string;
  pool_index: number;
  seed: number;
  params: string;
  prompt: string;
  text: string;
  finish_reason: string;
  completion_tokens: number;
  prompt_tokens: number;
  answer: string | null;
  correct: number;
  grade: string | null;
  score: number | null;
  step_scores: string | null;
}

/** A row of `results` as better-sqlite3 returns it. */
export interface ResultRow {
  problem_id: string;
  strategy: string;
  answer: string | null;
  correct: number;
  grade: string | null;
  output: string;
  usage: string;
  scorer_usage: string;
  candidates: number;
  stop_reason: string;
  sequences: string | null;
}

/** Inserts a problem; its values come from {@link problemValues}. */
export const INSERT_PROBLEM =
  "INSERT INTO problems (idx, id, level, gold, prompt, raw_prompt, meta) VALUES (?, ?, ?, ?, ?, ?, ?)";

/** Inserts a pool sample; its values come from {@link sampleValues}. */
export const INSERT_SAMPLE = `INSERT INTO samples (problem_id, pool_index, seed, params, prompt, text, finish_reason,
         completion_tokens, prompt_tokens, answer, correct, grade, score, step_scores)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** Inserts a strategy result; its values come from {@link resultValues}. */
export const INSERT_RESULT = `INSERT INTO results (problem_id, strategy, answer, correct, grade, output, usage, scorer_usage,
         candidates, stop_reason, sequences)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The values of {@link INSERT_PROBLEM} for the problem at position `index` of the run. */
export function problemValues(p: EvalProblem, index: number): unknown[] {
  return [
    index,
    p.id,
    p.level ?? null,
    p.gold,
    JSON.stringify(p.prompt),
    p.rawPrompt ?? null,
    JSON.stringify(p.meta),
  ];
}

/** The values of {@link INSERT_SAMPLE}. */
export function sampleValues(s: SampleRecord): unknown[] {
  return [
    s.problemId,
    s.poolIndex,
    s.seed,
    JSON.stringify(s.params),
    JSON.stringify(s.prompt),
    s.text,
    s.finishReason,
    s.completionTokens,
    s.promptTokens,
    s.answer,
    s.correct ? 1 : 0,
    s.grade ?? null,
    s.score ?? null,
    s.stepScores ? JSON.stringify(s.stepScores) : null,
  ];
}

/** The values of {@link INSERT_RESULT}. */
export function resultValues(r: ResultRecord): unknown[] {
  return [
    r.problemId,
    r.strategy,
    r.answer,
    r.correct ? 1 : 0,
    r.grade ?? null,
    r.output,
    JSON.stringify(r.usage),
    JSON.stringify(r.scorerUsage),
    r.candidates,
    r.stopReason,
    // Compact: [prompt, generated] pairs.
    r.sequences ? JSON.stringify(r.sequences.map((q) => [q.promptTokens, q.generatedTokens])) : null,
  ];
}

/** The record of a `problems` row. */
export function problemFromRow(r: ProblemRow): StoredProblem {
  return {
    index: r.idx,
    id: r.id,
    prompt: JSON.parse(r.prompt) as Prompt,
    ...(r.raw_prompt !== null ? { rawPrompt: r.raw_prompt } : {}),
    gold: r.gold,
    ...(r.level !== null ? { level: r.level } : {}),
    meta: JSON.parse(r.meta) as Record<string, unknown>,
    completed: r.completed_at !== null,
  };
}

/** The record of a `samples` row. */
export function sampleFromRow(r: SampleRow): SampleRecord {
  return {
    problemId: r.problem_id,
    poolIndex: r.pool_index,
    seed: r.seed,
    params: JSON.parse(r.params) as Record<string, unknown>,
    prompt: JSON.parse(r.prompt) as Prompt,
    text: r.text,
    finishReason: r.finish_reason,
    completionTokens: r.completion_tokens,
    promptTokens: r.prompt_tokens,
    answer: r.answer,
    correct: r.correct === 1,
    ...(r.grade !== null ? { grade: r.grade } : {}),
    ...(r.score !== null ? { score: r.score } : {}),
    ...(r.step_scores !== null ? { stepScores: JSON.parse(r.step_scores) as number[] } : {}),
  };
}

/** The record of a `results` row. */
export function resultFromRow(r: ResultRow): ResultRecord {
  return {
    problemId: r.problem_id,
    strategy: r.strategy,
    answer: r.answer,
    correct: r.correct === 1,
    ...(r.grade !== null ? { grade: r.grade } : {}),
    output: r.output,
    usage: JSON.parse(r.usage) as Usage,
    scorerUsage: JSON.parse(r.scorer_usage) as Usage,
    candidates: r.candidates,
    stopReason: r.stop_reason,
    ...(r.sequences !== null
      ? {
          sequences: (JSON.parse(r.sequences) as [number, number][]).map(([p, g]) => ({
            promptTokens: p,
            generatedTokens: g,
          })),
        }
      : {}),
  };
}
