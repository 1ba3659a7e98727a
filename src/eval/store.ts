/**
 * The run store: one SQLite file per evaluation run (`DIR/run.sqlite`, WAL mode) holding the run's
 * configuration, its problems, every pool sample and every strategy result.
 *
 * Crash safety: all rows of one problem (its pool samples and its strategy results) are written in one
 * transaction together with the problem's completion mark, so after a crash (even `kill -9`) a problem
 * is either complete or has no rows at all. UNIQUE(problem, pool index) and UNIQUE(problem, strategy)
 * make a duplicated sample or result impossible: inserting one again fails instead of counting twice.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { ConfigError } from "../core/errors.js";
import type { Prompt } from "../core/prompt.js";
import type { Usage } from "../core/usage.js";
import type { EvalProblem } from "./datasets/types.js";
import type { SequenceShape } from "./metrics/flops.js";
import type { RunModelShape } from "./model-shape.js";

/** File name of the store inside a run directory. */
export const STORE_FILE = "run.sqlite";

/** Version of the schema below; a store of another version is refused. */
export const STORE_SCHEMA_VERSION = 1;

/** Key of the run table holding the model shape of the cost figures (JSON {@link RunModelShape}). */
export const MODEL_SHAPE_KEY = "model_shape";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS run (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS problems (
  idx          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  level        INTEGER,
  gold         TEXT NOT NULL,
  prompt       TEXT NOT NULL,
  raw_prompt   TEXT,
  meta         TEXT NOT NULL,
  completed_at TEXT
);
CREATE TABLE IF NOT EXISTS samples (
  problem_id        TEXT NOT NULL REFERENCES problems(id),
  pool_index        INTEGER NOT NULL,
  seed              INTEGER NOT NULL,
  params            TEXT NOT NULL,
  prompt            TEXT NOT NULL,
  text              TEXT NOT NULL,
  finish_reason     TEXT NOT NULL,
  completion_tokens INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  answer            TEXT,
  correct           INTEGER NOT NULL,
  grade             TEXT,
  score             REAL,
  step_scores       TEXT,
  UNIQUE (problem_id, pool_index)
);
CREATE TABLE IF NOT EXISTS results (
  problem_id   TEXT NOT NULL REFERENCES problems(id),
  strategy     TEXT NOT NULL,
  answer       TEXT,
  correct      INTEGER NOT NULL,
  grade        TEXT,
  output       TEXT NOT NULL,
  usage        TEXT NOT NULL,
  scorer_usage TEXT NOT NULL,
  candidates   INTEGER NOT NULL,
  stop_reason  TEXT NOT NULL,
  sequences    TEXT,
  UNIQUE (problem_id, strategy)
);
`;

/** A problem as stored: the dataset problem plus its position in the run (seeds derive from it). */
export interface StoredProblem extends EvalProblem {
  index: number;
  completed: boolean;
}

/** One sample of a problem's pool. */
export interface SampleRecord {
  problemId: string;
  poolIndex: number;
  /** The seed this sample was drawn with (the request's seed + pool index). */
  seed: number;
  /** Sampling parameters of the pool request (temperature, topP, maxTokens, …). */
  params: Record<string, unknown>;
  /** The prompt exactly as sent. */
  prompt: Prompt;
  text: string;
  finishReason: string;
  completionTokens: number;
  /** Prompt tokens of the request that drew the pool (shared by its samples, as in the OpenAI API). */
  promptTokens: number;
  answer: string | null;
  correct: boolean;
  /** Grader detail (e.g. a code run's status), when there is one. */
  grade?: string;
  /** Scorer value, when the run has a scorer. */
  score?: number;
  stepScores?: number[];
}

/** One strategy's result on a problem. */
export interface ResultRecord {
  problemId: string;
  /** The strategy's canonical spec. */
  strategy: string;
  answer: string | null;
  correct: boolean;
  grade?: string;
  output: string;
  usage: Usage;
  scorerUsage: Usage;
  candidates: number;
  stopReason: string;
  /**
   * Every sequence the policy model decoded for this result, in call order: one per completion (its
   * request's prompt tokens, its generated tokens) and one per scoring call (prompt and continuation,
   * nothing generated). The cost figures are computed from them; absent in stores written before.
   */
  sequences?: SequenceShape[];
}

/** Row counts of a store. */
export interface StoreCounts {
  problems: number;
  completed: number;
  samples: number;
  results: number;
}

interface ProblemRow {
  idx: number;
  id: string;
  level: number | null;
  gold: string;
  prompt: string;
  raw_prompt: string | null;
  meta: string;
  completed_at: string | null;
}

interface SampleRow {
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

interface ResultRow {
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

/** The SQLite store of one evaluation run. Synchronous (better-sqlite3); one writer process at a time. */
export class RunStore {
  readonly file: string;
  private readonly db: Database.Database;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
  }

  /** The store file of a run directory. */
  static fileOf(dir: string): string {
    return join(resolve(dir), STORE_FILE);
  }

  /** True when `dir` already holds a run store. */
  static exists(dir: string): boolean {
    return existsSync(RunStore.fileOf(dir));
  }

  /**
   * Creates a new run in `dir` with its configuration and problems (one transaction).
   *
   * @throws ConfigError when `dir` already holds a run.
   */
  static create(dir: string, config: unknown, problems: readonly EvalProblem[]): RunStore {
    if (RunStore.exists(dir)) {
      throw new ConfigError(`${resolve(dir)} already holds a run`, {
        hint: "open it with RunStore.open to continue it, or choose another directory",
      });
    }
    mkdirSync(resolve(dir), { recursive: true });
    const store = new RunStore(RunStore.fileOf(dir), openDatabase(RunStore.fileOf(dir)));
    store.db.exec(SCHEMA);
    const insertProblem = store.db.prepare(
      "INSERT INTO problems (idx, id, level, gold, prompt, raw_prompt, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const setKey = store.db.prepare("INSERT INTO run (key, value) VALUES (?, ?)");
    store.db.transaction(() => {
      setKey.run("schema_version", String(STORE_SCHEMA_VERSION));
      setKey.run("created_at", new Date().toISOString());
      setKey.run("config", JSON.stringify(config));
      problems.forEach((p, i) => {
        insertProblem.run(
          i,
          p.id,
          p.level ?? null,
          p.gold,
          JSON.stringify(p.prompt),
          p.rawPrompt ?? null,
          JSON.stringify(p.meta),
        );
      });
    })();
    return store;
  }

  /**
   * Opens the run in `dir` (to resume it or read it).
   *
   * @throws ConfigError when there is no run there or it has another schema version.
   */
  static open(dir: string): RunStore {
    const file = RunStore.fileOf(dir);
    if (!existsSync(file)) {
      throw new ConfigError(`no run to resume in ${resolve(dir)} (${STORE_FILE} is missing)`, {
        hint: "start a run there with RunStore.create",
      });
    }
    const store = new RunStore(file, openDatabase(file));
    const version = store.getKey("schema_version");
    if (version !== String(STORE_SCHEMA_VERSION)) {
      store.close();
      throw new ConfigError(
        `${file} has store schema version ${version ?? "none"}, expected ${STORE_SCHEMA_VERSION}`,
      );
    }
    // Stores written before results recorded their sequences get the column (NULL for old rows).
    const columns = store.db.prepare("PRAGMA table_info(results)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "sequences")) {
      store.db.exec("ALTER TABLE results ADD COLUMN sequences TEXT");
    }
    return store;
  }

  /** The run configuration stored at creation. */
  config<T = unknown>(): T {
    const text = this.getKey("config");
    if (text === null) throw new ConfigError(`${this.file} has no run configuration`);
    return JSON.parse(text) as T;
  }

  /** A value of the run table (schema_version, created_at, config, or keys set with {@link setKey}). */
  getKey(key: string): string | null {
    const row = this.db.prepare("SELECT value FROM run WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  /** Sets a value of the run table. */
  setKey(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO run (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** The model shape of the run's cost figures, or null when none was recorded. */
  modelShape(): RunModelShape | null {
    const text = this.getKey(MODEL_SHAPE_KEY);
    return text === null ? null : (JSON.parse(text) as RunModelShape);
  }

  /** Records the model shape of the run's cost figures (replacing any earlier one). */
  setModelShape(shape: RunModelShape): void {
    this.setKey(MODEL_SHAPE_KEY, JSON.stringify(shape));
  }

  /** Every problem of the run, in run order. */
  problems(): StoredProblem[] {
    const rows = this.db.prepare("SELECT * FROM problems ORDER BY idx").all() as ProblemRow[];
    return rows.map((r) => ({
      index: r.idx,
      id: r.id,
      prompt: JSON.parse(r.prompt) as Prompt,
      ...(r.raw_prompt !== null ? { rawPrompt: r.raw_prompt } : {}),
      gold: r.gold,
      ...(r.level !== null ? { level: r.level } : {}),
      meta: JSON.parse(r.meta) as Record<string, unknown>,
      completed: r.completed_at !== null,
    }));
  }

  /** The pool samples of one problem (or of all problems), ordered by problem then pool index. */
  samples(problemId?: string): SampleRecord[] {
    const rows = (
      problemId === undefined
        ? this.db
            .prepare(
              "SELECT s.* FROM samples s JOIN problems p ON p.id = s.problem_id ORDER BY p.idx, s.pool_index",
            )
            .all()
        : this.db.prepare("SELECT * FROM samples WHERE problem_id = ? ORDER BY pool_index").all(problemId)
    ) as SampleRow[];
    return rows.map((r) => ({
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
    }));
  }

  /** Strategy results of one problem (or of all problems), ordered by problem. */
  results(problemId?: string): ResultRecord[] {
    const rows = (
      problemId === undefined
        ? this.db
            .prepare(
              "SELECT r.* FROM results r JOIN problems p ON p.id = r.problem_id ORDER BY p.idx, r.rowid",
            )
            .all()
        : this.db.prepare("SELECT * FROM results WHERE problem_id = ? ORDER BY rowid").all(problemId)
    ) as ResultRow[];
    return rows.map((r) => ({
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
    }));
  }

  /**
   * Writes a problem's pool samples and strategy results and marks it complete, in one transaction:
   * all of it lands or none of it does.
   *
   * @throws when the problem is unknown or already complete, or a sample/result already exists
   *   (the UNIQUE constraints); nothing is written then.
   */
  writeProblem(problemId: string, samples: readonly SampleRecord[], results: readonly ResultRecord[]): void {
    const insertSample = this.db.prepare(
      `INSERT INTO samples (problem_id, pool_index, seed, params, prompt, text, finish_reason,
         completion_tokens, prompt_tokens, answer, correct, grade, score, step_scores)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertResult = this.db.prepare(
      `INSERT INTO results (problem_id, strategy, answer, correct, grade, output, usage, scorer_usage,
         candidates, stop_reason, sequences)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const complete = this.db.prepare(
      "UPDATE problems SET completed_at = ? WHERE id = ? AND completed_at IS NULL",
    );
    this.db.transaction(() => {
      const changed = complete.run(new Date().toISOString(), problemId).changes;
      if (changed !== 1) {
        throw new ConfigError(`problem ${problemId} is unknown or already complete in ${this.file}`);
      }
      for (const s of samples) {
        if (s.problemId !== problemId) throw new Error(`sample of ${s.problemId} written with ${problemId}`);
        insertSample.run(
          problemId,
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
        );
      }
      for (const r of results) {
        if (r.problemId !== problemId) throw new Error(`result of ${r.problemId} written with ${problemId}`);
        insertResult.run(
          problemId,
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
        );
      }
    })();
  }

  /** Row counts: problems, completed problems, samples, results. */
  counts(): StoreCounts {
    const one = (sql: string): number => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      problems: one("SELECT COUNT(*) AS n FROM problems"),
      completed: one("SELECT COUNT(*) AS n FROM problems WHERE completed_at IS NOT NULL"),
      samples: one("SELECT COUNT(*) AS n FROM samples"),
      results: one("SELECT COUNT(*) AS n FROM results"),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function openDatabase(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (cause) {
    throw new ConfigError(`cannot open run store ${file}: ${(cause as Error).message}`, { cause });
  }
  // WAL: a committed transaction survives a killed process; readers never block the writer.
  db.pragma("journal_mode = WAL");
  // NORMAL under WAL loses no committed transaction on a process crash (only, at worst, on power loss).
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  return db;
}
