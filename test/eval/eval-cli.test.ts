/**
 * End-to-end tests of `deliberate eval` on the embedded model, run as child processes: a run killed
 * with SIGKILL and resumed equals a run that was never killed; GSM8K runs through the whole pipeline;
 * the arith task shows real accuracy.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import type { EvalSummary, GroupSummary, MetricRow } from "../../src/eval/summary.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "src", "cli", "main.ts");

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startEval(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, ["--import", "tsx", cli, "eval", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const done = new Promise<Exit>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

async function runEval(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await startEval(args).done;
  assert.equal(code, 0, `deliberate eval ${args.join(" ")} failed:\n${stderr}`);
  return { stdout, stderr };
}

/** Completed problems in a store, read while another process may be writing it (WAL readers are safe). */
function completedIn(file: string): number {
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

interface StoreDump {
  problems: { id: string; samples: number; results: number }[];
  samples: { key: string; seed: number; text: string }[];
  results: { key: string; output: string }[];
}

function dump(file: string): StoreDump {
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

const N = 4;
// 6 problems per level × 8 levels.
const ARITH_ARGS = [
  "--dataset",
  "arith:test:6",
  "--samples",
  String(N),
  "--strategy",
  "greedy",
  "--seed",
  "7",
];

describe("deliberate eval (embedded model)", { timeout: 240_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), "deliberate-eval-"));
  let reference: StoreDump | undefined;
  let referenceSummary: EvalSummary | undefined;

  test("a run that was never killed", async () => {
    const out = join(base, "reference");
    const { stdout } = await runEval([...ARITH_ARGS, "--out", out, "--json"]);
    referenceSummary = JSON.parse(stdout) as EvalSummary;
    assert.deepEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")), referenceSummary);
    reference = dump(join(out, "run.sqlite"));
    assert.equal(reference.problems.length, 48);
    assert.equal(reference.samples.length, 48 * N);
    assert.equal(referenceSummary.problems.completed, 48);
    assert.deepEqual(referenceSummary.ks, [1, 2, 4]);
    assert.deepEqual(
      referenceSummary.groups.map((g) => g.label),
      ["level 1", "level 2", "level 3", "level 4", "level 5", "level 6", "level 7", "level 8", "all"],
    );
    const all = referenceSummary.groups.at(-1)!;
    assert.deepEqual(
      all.metrics.map((m) => m.name),
      ["greedy", "pass@1", "maj@2", "maj@4", "coverage@2", "coverage@4"],
    );
    for (const m of all.metrics) {
      assert.ok(
        m.value >= 0 && m.value <= 1 && m.ci[0] <= m.value + 1e-9 && m.value <= m.ci[1] + 1e-9,
        m.name,
      );
    }
    const cov = (k: number) => all.metrics.find((m) => m.name === `coverage@${k}`)!.value;
    assert.ok(cov(2) <= cov(4) + 1e-12, "coverage grows with k");
  });

  test("kill -9 mid-run, then --resume: no lost and no duplicated samples", async (t) => {
    const out = join(base, "killed");
    const file = join(out, "run.sqlite");
    const { child, done } = startEval([...ARITH_ARGS, "--out", out]);
    let seen = 0;
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      seen = completedIn(file);
      if (seen >= 5 || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(child.exitCode, null, "the run ended before it could be killed");
    child.kill("SIGKILL");
    const killed = await done;
    assert.equal(killed.signal, "SIGKILL");
    const partial = dump(file);
    const completedAtKill = partial.problems.filter((p) => p.samples > 0).length;
    assert.ok(completedAtKill >= 5 && completedAtKill < 48, `killed after ${completedAtKill} problems`);
    t.diagnostic(`killed with SIGKILL after ${completedAtKill}/48 problems were stored`);
    // Every problem is all-or-nothing: N samples and 1 result, or none.
    for (const p of partial.problems)
      assert.ok((p.samples === N && p.results === 1) || (p.samples === 0 && p.results === 0));

    const { stderr } = await runEval(["--resume", "--out", out, "--json"]);
    assert.match(stderr, /already done/);
    const resumed = dump(file);
    for (const p of resumed.problems) {
      assert.equal(p.samples, N, `${p.id} has ${p.samples} samples`);
      assert.equal(p.results, 1, `${p.id} has ${p.results} results`);
    }
    assert.ok(reference, "the reference run must run first");
    assert.equal(resumed.samples.length, reference.samples.length);
    assert.equal(resumed.results.length, reference.results.length);
    assert.deepEqual(
      resumed.samples.map((s) => [s.key, s.seed]),
      reference.samples.map((s) => [s.key, s.seed]),
    );
    assert.deepEqual(
      resumed.results.map((r) => r.key),
      reference.results.map((r) => r.key),
    );
    // Same seeds, but not always the same text: llama.cpp's logits depend slightly on what is batched
    // together and on which cached prefix a sequence reuses, so a few samples differ between runs.
    const same = resumed.samples.filter((s, i) => s.text === reference!.samples[i]!.text).length;
    t.diagnostic(`identical sample texts vs the reference run: ${same}/${resumed.samples.length}`);
  });

  test("--resume refuses flags that contradict the stored run", async () => {
    const { code, stderr } = await startEval(["--resume", "--out", join(base, "reference"), "--samples", "8"])
      .done;
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^error: --resume uses the run's stored configuration, which differs in --samples \(run: 4\)/m,
    );
  });

  test("arith shows real accuracy with greedy at levels 1-2", () => {
    const summary: EvalSummary | undefined = referenceSummary;
    assert.ok(summary, "the reference run must run first");
    const greedyAt = (level: number): number => {
      const group: GroupSummary = summary.groups.find((g) => g.level === level)!;
      return group.metrics.find((m: MetricRow) => m.name === "greedy")!.value;
    };
    // Levels 1 and 2 have the same number of problems: the plain mean is the accuracy over both.
    const accuracy = (greedyAt(1) + greedyAt(2)) / 2;
    assert.ok(
      accuracy > 0.3,
      `greedy accuracy at levels 1-2 is ${accuracy} (level 1: ${greedyAt(1)}, level 2: ${greedyAt(2)})`,
    );
  });

  test("gsm8k:test:20 with sc:n=4 runs end to end", async () => {
    const out = join(base, "gsm8k");
    const { stdout } = await runEval([
      "--dataset",
      "gsm8k:test:20",
      "--strategy",
      "sc:n=4",
      "--max-tokens",
      "64",
      "--out",
      out,
    ]);
    assert.match(stdout, /gsm8k:test:20 · 20\/20 problems/);
    assert.match(stdout, /sc:n=4\s+\d\.\d{3}\s+\[\d\.\d{3}, \d\.\d{3}\]/);
    const d = dump(join(out, "run.sqlite"));
    assert.equal(d.results.length, 20);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as EvalSummary;
    assert.equal(summary.grading, "math");
    assert.equal(summary.groups.length, 1);
    const sc = summary.groups[0]!.metrics[0]!;
    assert.equal(sc.name, "sc:n=4");
    assert.ok(sc.tokensPerProblem! > 0 && sc.tokensPerProblem! <= 4 * 64 + 4);
  });

  test("unknown datasets fail with one clear line", async () => {
    const { code, stderr } = await startEval(["--dataset", "nope:test", "--strategy", "greedy"]).done;
    assert.equal(code, 1);
    assert.match(stderr, /^error: unknown dataset "nope" — valid: gsm8k:test, .*arith:test/m);
  });
});
