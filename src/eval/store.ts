/**
 * The run store: one SQLite file per evaluation run (`DIR/run.sqlite`, WAL mode) holding the run's
 * configuration, its problems, every pool sample and every strategy result.
 *
 * Crash safety: all rows of one problem (its pool samples and its strategy results) are written in one
 * transaction together with the problem's completion mark, so after a crash (even `kill -9`) a problem
 * is either complete or has no rows at all. UNIQUE(problem, pool index) and UNIQUE(problem, strategy)
 * make a duplicated sample or result impossible: inserting one again fails instead of counting twice.
 *
 * This module is the store's interface; the parts live beside it: store-schema.ts (tables, pragmas,
 * migrations), store-records.ts (the records), store-rows.ts (rows to records and back).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type Database from "better-sqlite3";
import { ConfigError } from "../core/errors.js";
import type { EvalProblem } from "./datasets/types.js";
import type { RunModelShape } from "./model-shape.js";
import type { ResultRecord, SampleRecord, StoreCounts, StoredProblem } from "./store-records.js";
import {
  INSERT_PROBLEM,
  INSERT_RESULT,
  INSERT_SAMPLE,
  type ProblemRow,
  problemFromRow,
  problemValues,
  type ResultRow,
  resultFromRow,
  resultValues,
  type SampleRow,
  sampleFromRow,
  sampleValues,
} from "./store-rows.js";
import { migrateStore, openDatabase, STORE_SCHEMA, STORE_SCHEMA_VERSION } from "./store-schema.js";

export type { ResultRecord, SampleRecord, StoreCounts, StoredProblem } from "./store-records.js";
export { STORE_SCHEMA_VERSION } from "./store-schema.js";

/** File name of the store inside a run directory. */
export const STORE_FILE = "run.sqlite";

/** Key of the run table holding the model shape of the cost figures (JSON {@link RunModelShape}). */
export const MODEL_SHAPE_KEY = "model_shape";

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
    store.db.exec(STORE_SCHEMA);
    const insertProblem = store.db.prepare(INSERT_PROBLEM);
    const setKey = store.db.prepare("INSERT INTO run (key, value) VALUES (?, ?)");
    store.db.transaction(() => {
      setKey.run("schema_version", String(STORE_SCHEMA_VERSION));
      setKey.run("created_at", new Date().toISOString());
      setKey.run("config", JSON.stringify(config));
      problems.forEach((p, i) => {
        insertProblem.run(...problemValues(p, i));
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
    migrateStore(store.db);
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
    return rows.map(problemFromRow);
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
    return rows.map(sampleFromRow);
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
    return rows.map(resultFromRow);
  }

  /**
   * Writes a problem's pool samples and strategy results and marks it complete, in one transaction:
   * all of it lands or none of it does.
   *
   * @throws when the problem is unknown or already complete, or a sample/result already exists
   *   (the UNIQUE constraints); nothing is written then.
   */
  writeProblem(problemId: string, samples: readonly SampleRecord[], results: readonly ResultRecord[]): void {
    const insertSample = this.db.prepare(INSERT_SAMPLE);
    const insertResult = this.db.prepare(INSERT_RESULT);
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
        insertSample.run(...sampleValues(s));
      }
      for (const r of results) {
        if (r.problemId !== problemId) throw new Error(`result of ${r.problemId} written with ${problemId}`);
        insertResult.run(...resultValues(r));
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
