import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { emptyUsage } from "../../src/core/usage.js";
import type { EvalProblem } from "../../src/eval/datasets/index.js";
import { type ResultRecord, RunStore, type SampleRecord } from "../../src/eval/store.js";

const problems: EvalProblem[] = [
  { id: "p0", prompt: "Q:1+2\n", gold: "3", level: 1, meta: { question: "1+2" } },
  {
    id: "p1",
    prompt: { messages: [{ role: "user", content: "2+2?" }] },
    rawPrompt: "2+2?\n",
    gold: "4",
    meta: { tests: ["assert f() == 4"] },
  },
];

function sample(problemId: string, poolIndex: number, extra: Partial<SampleRecord> = {}): SampleRecord {
  return {
    problemId,
    poolIndex,
    seed: 100 + poolIndex,
    params: { n: 2, temperature: 0.8 },
    prompt: "Q:1+2\n",
    text: `1+2=3\nA:${poolIndex === 0 ? 3 : 4}\n`,
    finishReason: "stop",
    completionTokens: 12,
    promptTokens: 6,
    answer: poolIndex === 0 ? "3" : "4",
    correct: poolIndex === 0,
    ...extra,
  };
}

function result(problemId: string, strategy: string): ResultRecord {
  return {
    problemId,
    strategy,
    answer: "3",
    correct: true,
    output: "A:3\n",
    usage: { ...emptyUsage(), completionTokens: 7, calls: 1 },
    scorerUsage: emptyUsage(),
    candidates: 1,
    stopReason: "completed",
  };
}

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), "deliberate-store-")), "run");
}

describe("RunStore", () => {
  test("round-trips config, problems, samples and results", () => {
    const dir = tempDir();
    const config = { version: 1, dataset: "arith:test:1", samples: 2 };
    const store = RunStore.create(dir, config, problems);
    assert.ok(existsSync(join(dir, "run.sqlite")));
    store.writeProblem(
      "p0",
      [sample("p0", 0, { score: 0.9, stepScores: [0.95, 0.9] }), sample("p0", 1, { grade: "failed" })],
      [result("p0", "greedy")],
    );
    store.close();

    const again = RunStore.open(dir);
    assert.deepEqual(again.config(), config);
    const stored = again.problems();
    assert.deepEqual(
      stored.map((p) => [p.index, p.id, p.completed]),
      [
        [0, "p0", true],
        [1, "p1", false],
      ],
    );
    assert.deepEqual(stored[1]!.prompt, problems[1]!.prompt);
    assert.equal(stored[1]!.rawPrompt, "2+2?\n");
    assert.deepEqual(stored[1]!.meta, problems[1]!.meta);
    assert.equal(stored[1]!.level, undefined);
    const samples = again.samples("p0");
    assert.equal(samples.length, 2);
    assert.deepEqual(samples[0], sample("p0", 0, { score: 0.9, stepScores: [0.95, 0.9] }));
    assert.deepEqual(samples[1], sample("p0", 1, { grade: "failed" }));
    assert.deepEqual(again.results(), [result("p0", "greedy")]);
    assert.deepEqual(again.counts(), { problems: 2, completed: 1, samples: 2, results: 1 });
    assert.equal(new Database(join(dir, "run.sqlite")).pragma("journal_mode", { simple: true }), "wal");
    again.close();
  });

  test("rejects duplicates and writes nothing of a failed problem", () => {
    const dir = tempDir();
    const store = RunStore.create(dir, {}, problems);
    // Duplicate pool index inside one write: the whole transaction rolls back.
    assert.throws(() => store.writeProblem("p0", [sample("p0", 0), sample("p0", 0)], []), /UNIQUE/);
    assert.deepEqual(store.counts(), { problems: 2, completed: 0, samples: 0, results: 0 });
    // Duplicate strategy inside one write.
    assert.throws(
      () => store.writeProblem("p0", [sample("p0", 0)], [result("p0", "greedy"), result("p0", "greedy")]),
      /UNIQUE/,
    );
    assert.deepEqual(store.counts(), { problems: 2, completed: 0, samples: 0, results: 0 });
    store.writeProblem("p0", [sample("p0", 0), sample("p0", 1)], [result("p0", "greedy")]);
    // A completed problem cannot be written again.
    assert.throws(() => store.writeProblem("p0", [sample("p0", 2)], []), /already complete/);
    assert.throws(() => store.writeProblem("nope", [], []), /unknown or already complete/);
    assert.deepEqual(store.counts(), { problems: 2, completed: 1, samples: 2, results: 1 });
    // The constraints hold for any writer, not just through the API.
    const raw = new Database(store.file);
    assert.throws(
      () =>
        raw
          .prepare(
            "INSERT INTO samples (problem_id, pool_index, seed, params, prompt, text, finish_reason, completion_tokens, prompt_tokens, correct) VALUES ('p0', 1, 0, '{}', '\"\"', '', 'stop', 0, 0, 0)",
          )
          .run(),
      /UNIQUE/,
    );
    raw.close();
    store.close();
  });

  test("results keep their decoded sequences; the model shape is run metadata", () => {
    const dir = tempDir();
    const store = RunStore.create(dir, {}, problems);
    assert.equal(store.modelShape(), null);
    const sequences = [
      { promptTokens: 6, generatedTokens: 4 },
      { promptTokens: 6, generatedTokens: 3 },
      { promptTokens: 10, generatedTokens: 0 },
    ];
    store.writeProblem("p0", [], [{ ...result("p0", "sc"), sequences }]);
    const shape = {
      params: 1e6,
      layers: 5,
      dModel: 128,
      kvDim: 64,
      bytesPerParam: 2,
      source: "user" as const,
    };
    store.setModelShape(shape);
    store.setModelShape({ ...shape, params: 2e6 }); // replaces
    store.close();
    const again = RunStore.open(dir);
    assert.deepEqual(again.results()[0]!.sequences, sequences);
    assert.deepEqual(again.modelShape(), { ...shape, params: 2e6 });
    again.close();
  });

  test("a store written before results had sequences opens, reads them as absent and takes new ones", () => {
    const dir = tempDir();
    RunStore.create(dir, {}, problems).close();
    const raw = new Database(RunStore.fileOf(dir));
    raw.exec("ALTER TABLE results DROP COLUMN sequences");
    raw
      .prepare(
        "INSERT INTO results (problem_id, strategy, answer, correct, output, usage, scorer_usage, candidates, stop_reason) VALUES ('p0', 'greedy', '3', 1, 'A:3', ?, ?, 1, 'completed')",
      )
      .run(JSON.stringify(result("p0", "greedy").usage), JSON.stringify(emptyUsage()));
    raw.close();
    const store = RunStore.open(dir);
    assert.equal(store.results()[0]!.sequences, undefined);
    store.writeProblem(
      "p1",
      [],
      [{ ...result("p1", "greedy"), sequences: [{ promptTokens: 3, generatedTokens: 7 }] }],
    );
    assert.deepEqual(store.results("p1")[0]!.sequences, [{ promptTokens: 3, generatedTokens: 7 }]);
    store.close();
  });

  test("create refuses an existing run; open refuses a missing one", () => {
    const dir = tempDir();
    RunStore.create(dir, {}, problems).close();
    assert.throws(
      () => RunStore.create(dir, {}, problems),
      /already holds a run — open it with RunStore.open/,
    );
    assert.throws(() => RunStore.open(tempDir()), /no run to resume/);
  });
});
