/** Reads of an eval run's SQLite store, in SQL, independent of the store's own code. */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import type { SequenceShape } from "../../src/eval/metrics/index.js";

/** Completed problems in a store, read while another process may be writing it (WAL readers are safe). */
export function completedIn(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (
        db.prepare("SELECT COUNT(*) AS n FROM problems WHERE completed_at IS NOT NULL").get() as { n: number }
      ).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet, or schema not there yet
  }
}

/** Problems with their sample and result counts, and every sample and result by key. */
export interface StoreDump {
  problems: { id: string; samples: number; results: number }[];
  samples: { key: string; seed: number; text: string }[];
  results: { key: string; output: string }[];
}

/** The problems, samples and results of a store, in a stable order. */
export function dump(file: string): StoreDump {
  const db = new Database(file, { readonly: true });
  try {
    const problems = db
      .prepare(
        `SELECT p.id AS id,
           (SELECT COUNT(*) FROM samples s WHERE s.problem_id = p.id) AS samples,
           (SELECT COUNT(*) FROM results r WHERE r.problem_id = p.id) AS results
         FROM problems p ORDER BY p.idx`,
      )
      .all() as StoreDump["problems"];
    const samples = (
      db
        .prepare("SELECT problem_id, pool_index, seed, text FROM samples ORDER BY problem_id, pool_index")
        .all() as {
        problem_id: string;
        pool_index: number;
        seed: number;
        text: string;
      }[]
    ).map((s) => ({ key: `${s.problem_id}#${s.pool_index}`, seed: s.seed, text: s.text }));
    const results = (
      db.prepare("SELECT problem_id, strategy, output FROM results ORDER BY problem_id, strategy").all() as {
        problem_id: string;
        strategy: string;
        output: string;
      }[]
    ).map((r) => ({ key: `${r.problem_id}#${r.strategy}`, output: r.output }));
    return { problems, samples, results };
  } finally {
    db.close();
  }
}

/** Per completed problem: its level, greedy's usage and recorded sequences, and its pool samples. */
export function storedCompute(file: string): {
  level: number;
  usage: { promptTokens: number; completionTokens: number };
  greedy: SequenceShape[];
  pool: SequenceShape[];
}[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT p.id AS id, p.level AS level, r.usage AS usage, r.sequences AS sequences FROM problems p
         JOIN results r ON r.problem_id = p.id AND r.strategy = 'greedy' ORDER BY p.idx`,
      )
      .all() as { id: string; level: number; usage: string; sequences: string }[];
    const samples = db.prepare(
      "SELECT prompt_tokens AS p, completion_tokens AS g FROM samples WHERE problem_id = ?",
    );
    return rows.map((r) => ({
      level: r.level,
      usage: JSON.parse(r.usage) as { promptTokens: number; completionTokens: number },
      greedy: (JSON.parse(r.sequences) as [number, number][]).map(([p, g]) => ({
        promptTokens: p,
        generatedTokens: g,
      })),
      pool: (samples.all(r.id) as { p: number; g: number }[]).map((x) => ({
        promptTokens: x.p,
        generatedTokens: x.g,
      })),
    }));
  } finally {
    db.close();
  }
}
