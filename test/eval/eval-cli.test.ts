/**
 * End-to-end tests of `deliberate eval` on the embedded model, run as child processes: a run killed
 * with SIGKILL and resumed equals a run that was never killed; GSM8K runs through the whole pipeline;
 * the arith task shows real accuracy; the compute figures follow metrics/flops.ts from the stored
 * tokens and the GGUF's shape, and are null for a server model of unknown shape.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import {
  type ModelShape,
  problemCost,
  type SequenceShape,
  sequenceCost,
} from "../../src/eval/metrics/index.js";
import type { EvalSummary, GroupSummary, MetricRow } from "../../src/eval/summary.js";
import { CLI_ENTRY } from "../helpers/cli.js";
import { loadPolicy } from "../helpers/models.js";
import { startTestServer } from "../server/setup.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, CLI_ENTRY);

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startEval(args: string[]): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [cli, "eval", ...args], {
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

/** Per completed problem: its level, greedy's usage and recorded sequences, and its pool samples. */
function storedCompute(file: string): {
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

const N = 4;
// 3 problems per level × 8 levels: enough to kill a run midway and to see greedy's accuracy.
const PROBLEMS = 24;
const ARITH_ARGS = [
  "--dataset",
  "arith:test:3",
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
    const { stdout, stderr } = await runEval([...ARITH_ARGS, "--out", out, "--json"]);
    assert.doesNotMatch(stderr, /note: the embedded default model/, "arithmetic problems get no note");
    referenceSummary = JSON.parse(stdout) as EvalSummary;
    assert.deepEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")), referenceSummary);
    reference = dump(join(out, "run.sqlite"));
    assert.equal(reference.problems.length, PROBLEMS);
    assert.equal(reference.samples.length, PROBLEMS * N);
    assert.equal(referenceSummary.problems.completed, PROBLEMS);
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

  test("compute per problem: FLOPs from the stored tokens and the GGUF shape of the embedded model", (t) => {
    const summary = referenceSummary;
    assert.ok(summary, "the reference run must run first");
    const shape = summary.cost.shape;
    assert.ok(shape, "the embedded model's shape is recorded");
    assert.equal(shape.source, "gguf");
    assert.deepEqual([shape.params, shape.layers, shape.dModel, shape.kvDim], [1_076_096, 5, 128, 128]);
    assert.deepEqual([summary.cost.intensity, summary.cost.batchSize], [295, 1]);
    const stored = storedCompute(join(base, "reference", "run.sqlite"));
    assert.equal(stored.length, PROBLEMS);
    const options = { batchSize: 1, intensity: 295 };
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const check = (group: GroupSummary, problems: typeof stored) => {
      const row = (name: string) => group.metrics.find((m) => m.name === name)!.compute!;
      // greedy: one sequence per problem, its prompt and generated tokens as the usage says.
      for (const p of problems)
        assert.deepEqual(p.greedy, [
          { promptTokens: p.usage.promptTokens, generatedTokens: p.usage.completionTokens },
        ]);
      const greedy = problems.map((p) => problemCost(shape, p.greedy, options));
      assert.equal(
        row("greedy").flops,
        Math.round(avg(greedy.map((c) => c.flops))),
        `${group.label} greedy flops`,
      );
      assert.equal(row("greedy").bytes, Math.round(avg(greedy.map((c) => c.bytes))));
      assert.equal(row("greedy").eflops, Math.round(avg(greedy.map((c) => c.eflops))));
      assert.equal(row("greedy").calls, 1);
      assert.equal(
        row("greedy").promptTokens,
        Math.round(avg(problems.map((p) => p.usage.promptTokens)) * 100) / 100,
      );
      // Pool metrics at k cost k mean samples.
      const sample = avg(problems.map((p) => avg(p.pool.map((q) => sequenceCost(shape, q, options).flops))));
      assert.equal(row("pass@1").flops, Math.round(sample), `${group.label} pass@1 flops`);
      for (const name of ["maj@2", "coverage@2"]) assert.equal(row(name).flops, Math.round(2 * sample));
      for (const name of ["maj@4", "coverage@4"]) assert.equal(row(name).flops, Math.round(4 * sample));
    };
    check(summary.groups.at(-1)!, stored);
    check(
      summary.groups[0]!,
      stored.filter((p) => p.level === 1),
    );
    const all = summary.groups.at(-1)!;
    const greedy = all.metrics[0]!.compute!;
    t.diagnostic(
      `arith:test:3, all ${PROBLEMS} problems: greedy ${greedy.promptTokens} prompt + ${greedy.generatedTokens} generated tokens, ` +
        `${greedy.flops} FLOPs, ${greedy.bytes} bytes, ${greedy.eflops} eFLOPs per problem; ` +
        `pool sample ${all.metrics[1]!.compute!.flops} FLOPs`,
    );
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
    assert.ok(completedAtKill >= 5 && completedAtKill < PROBLEMS, `killed after ${completedAtKill} problems`);
    t.diagnostic(`killed with SIGKILL after ${completedAtKill}/${PROBLEMS} problems were stored`);
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

  test("gsm8k:test:5 with sc:n=4 runs end to end", async () => {
    const out = join(base, "gsm8k");
    const { stdout, stderr } = await runEval([
      "--dataset",
      "gsm8k:test:5",
      "--strategy",
      "sc:n=4",
      "--max-tokens",
      "64",
      "--out",
      out,
    ]);
    assert.match(stdout, /gsm8k:test:5 · 5\/5 problems/);
    // The embedded model only does arithmetic: said once, with the count of other problems.
    assert.deepEqual(stderr.match(/^note: .*$/gm), [
      "note: the embedded default model only does the arithmetic task (questions like 57+38-19+44); " +
        "5 of 5 problems are not, so its answers mean nothing — pass --model or --base-url for other questions",
    ]);
    assert.match(stdout, /sc:n=4\s+\d\.\d{3}\s+\[\d\.\d{3}, \d\.\d{3}\]/);
    const d = dump(join(out, "run.sqlite"));
    assert.equal(d.results.length, 5);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as EvalSummary;
    assert.equal(summary.grading, "math");
    assert.equal(summary.groups.length, 1);
    const sc = summary.groups[0]!.metrics[0]!;
    assert.equal(sc.name, "sc:n=4");
    assert.ok(sc.tokensPerProblem! > 0 && sc.tokensPerProblem! <= 4 * 64 + 4);
  });

  test("a server model has no shape: FLOPs are null, until --model-shape gives one", async () => {
    const policy = await loadPolicy(4);
    const server = await startTestServer(policy);
    try {
      const out = join(base, "server");
      const args = [
        "--dataset",
        "arith:test:1",
        "--where",
        "level=1",
        "--samples",
        "2",
        "--strategy",
        "greedy",
      ];
      const server_ = ["--base-url", `${server.url}/v1`, "--model", "tiny", "--max-tokens", "32", "--json"];
      const { stdout, stderr } = await runEval([...args, ...server_, "--out", out]);
      assert.match(stderr, /the model's shape is unknown: FLOPs and eFLOPs are not reported/);
      const summary = JSON.parse(stdout) as EvalSummary;
      assert.equal(summary.cost.shape, null);
      for (const m of summary.groups.at(-1)!.metrics) {
        assert.ok(m.compute!.generatedTokens > 0, m.name);
        assert.deepEqual([m.compute!.flops, m.compute!.bytes, m.compute!.eflops], [null, null, null], m.name);
      }
      // Given on resume, the shape is stored and priced.
      const shape: ModelShape = { params: 1_076_096, layers: 5, dModel: 128, kvDim: 128, bytesPerParam: 2 };
      const text = "params=1076096,layers=5,dModel=128,kvDim=128,bytesPerParam=2";
      const resumed = JSON.parse(
        (await runEval(["--resume", "--out", out, "--json", "--model-shape", text])).stdout,
      ) as EvalSummary;
      assert.deepEqual(resumed.cost.shape, { ...shape, source: "user" });
      const [p] = storedCompute(join(out, "run.sqlite"));
      const flops = problemCost(shape, p!.greedy, { batchSize: 1, intensity: 295 }).flops;
      assert.equal(resumed.groups.at(-1)!.metrics[0]!.compute!.flops, Math.round(flops));
    } finally {
      await server.close();
      await policy.close();
    }
  });

  test("unknown datasets, a missing scorer and a missing run to resume fail with one clear line", async () => {
    const { code, stderr } = await startEval(["--dataset", "nope:test", "--strategy", "greedy"]).done;
    assert.equal(code, 1);
    assert.match(stderr, /^error: unknown dataset "nope" — valid: gsm8k:test, .*arith:test/m);
    // A server model gets no default scorer; only the strategy that needs one is named.
    const unscored = await startEval([
      "--dataset",
      "arith:test:1",
      "--strategy",
      "greedy",
      "--strategy",
      "bon:n=2",
      "--base-url",
      "http://127.0.0.1:1/v1",
      "--model",
      "m",
      "--out",
      join(base, "unscored"),
    ]).done;
    assert.equal(unscored.code, 1);
    assert.match(unscored.stderr, /^error: strategy bon:n=2 needs a scorer — pass --scorer SPEC$/m);
    const resume = await startEval(["--resume", "--out", join(base, "no-run-here")]).done;
    assert.equal(resume.code, 1);
    assert.match(
      resume.stderr,
      /^error: no run to resume in .*no-run-here .* — drop --resume to start a new run there$/m,
    );
  });
});
