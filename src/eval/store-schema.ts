/**
 * The SQLite side of the run store: the schema and its version, opening a database with the pragmas
 * crash safety relies on, and the migration of stores written by earlier releases.
 */
import Database from "better-sqlite3";
import { ConfigError } from "../core/errors.js";

/** Version of the schema below; a store of another version is refused. */
export const STORE_SCHEMA_VERSION = 1;

/** The tables of a run: its key/value settings, its problems, the pool samples and the strategy results. */
export const STORE_SCHEMA = `
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

/** Opens (or creates) a store file: WAL, synchronous NORMAL, foreign keys, a busy timeout. */
export function openDatabase(file: string): Database.Database {
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

/** Brings an opened store of the current schema version up to date with the columns added since. */
export function migrateStore(db: Database.Database): void {
  // Stores written before results recorded their sequences get the column (NULL for old rows).
  const columns = db.prepare("PRAGMA table_info(results)").all() as { name: string }[];
  if (!columns.some((c) => c.name === "sequences")) {
    db.exec("ALTER TABLE results ADD COLUMN sequences TEXT");
  }
}
