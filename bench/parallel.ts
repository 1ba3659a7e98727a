/**
 * The parallel strategies on the embedded arithmetic model: accuracy and generated tokens.
 *
 *   npx tsx bench/parallel.ts [--problems 20] [--level 5 --level 6 --level 7] [--scorer prm|genprm|verifier:arith]
 *                             [--method early-reject --method adaptive-sc:n=64,criterion=gain …] [--split test|validation]
 *
 * Problems come from the synthetic task's test split: by default the hardest in-distribution levels
 * (5, 6; the policy is trained on 1–6) and one out-of-distribution level (7). Every method runs with
 * the same run seed per problem, so every method that samples draws sample i with the same seed:
 * `adaptive-sc`, `esc` and `cges` see a prefix of `sc:n=64`'s samples, and `early-reject`'s first tokens
 * are best-of-16's. sc@16/64, best-of-n, weighted vote, self-certainty and coverage come from ONE
 * pool of 64 samples per problem, scored once (sc@16 is exactly what `sc:n=16` returns under the same
 * seed). The other methods run for real. The scorer is any scorer spec (`--scorer`), by default the
 * embedded generative PRM (the CLI's default for the embedded model), else the exact verifier as a
 * stand-in (an oracle: its best-of-n is coverage). `--method` (repeatable) runs only the given live methods (the
 * pool's rows always come). Prints tables; asserts nothing.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import type { Problem } from "../src/core/prompt.js";
import type { Scorer } from "../src/core/scorer.js";
import { parseSpec } from "../src/core/spec.js";
import type { Candidate, StrategyResult } from "../src/core/strategy.js";
import type { Usage } from "../src/core/usage.js";
import { embeddedModels, embeddedScorerSpec } from "../src/defaults.js";
import { scorers } from "../src/scorers/registry.js";
import { traceConfidence } from "../src/strategies/confidence.js";
import {
  bestOf,
  type CandidateSteps,
  type EarlyRejectEntry,
  earlyRejectRules,
} from "../src/strategies/early-reject.js";
import { createStrategy } from "../src/strategies/registry.js";
import { runStrategy } from "../src/strategies/run.js";
import { sample } from "../src/strategies/sample.js";
import type { Step } from "../src/strategies/search/steps.js";
import { argmax, majorityVote, weightedMajority } from "../src/strategies/vote.js";
import {
  extractArithAnswer,
  formatArithPrompt,
  generateArithSplit,
  statesArithAnswer,
} from "../src/tasks/arith/index.js";

const { values } = parseArgs({
  options: {
    problems: { type: "string", default: "20" },
    level: { type: "string", multiple: true },
    scorer: { type: "string" },
    "max-tokens": { type: "string", default: "80" },
    seed: { type: "string", default: "1" },
    method: { type: "string", multiple: true },
    split: { type: "string", default: "test" },
  },
});
const count = Number(values.problems);
const levels = (values.level ?? ["5", "6", "7"]).flatMap((l) => l.split(",")).map(Number);
const maxTokens = Number(values["max-tokens"]);
const runSeed = Number(values.seed);
const scorerSpec =
  values.scorer ?? (existsSync(embeddedModels.genprm) ? embeddedScorerSpec : "verifier:arith");
const oracle = scorerSpec.startsWith("verifier");

/** Methods that run for real (not computed from the pool), as spec strings. */
const LIVE = [
  "greedy",
  "adaptive-sc:n=64",
  "adaptive-sc:n=64,criterion=gain",
  "esc:n=64",
  "cges:n=64",
  "deepconf",
  "deepconf:token=logprob,keep=0.1",
  "first-finish",
  "first-finish:n=16,k=4",
  "early-reject",
  "speculative-rejection",
];
// `--method none`: only the pool's rows and the replays.
const live = (values.method ?? LIVE).filter((m) => m !== "none");
for (const m of live) createStrategy(m); // a bad spec fails here, before any work
const split = values.split === "validation" ? "validation" : "test";
/**
 * early-reject settings replayed on the pool's first 16 samples: the same rules (the strategy's own
 * code) over best-of-16's very samples, cut into steps at their newline tokens, so that accuracy and
 * tokens compare with bon:n=16 pair by pair instead of across two sets of samples.
 */
const REPLAY = ["early-reject", "early-reject:floor=0,accept=2"];

const model = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 32, gpu: false });
const scorer: Scorer & { close?(): Promise<void> } = await scorers.create(scorerSpec).open();
const same = (a: string, b: string) => a === b;

interface Row {
  correct: number;
  tokens: number;
}
/** method → level → per-problem rows. */
const table = new Map<string, Map<number, Row[]>>();
function record(method: string, level: number, correct: boolean, tokens: number): void {
  const byLevel = table.get(method) ?? new Map<number, Row[]>();
  table.set(method, byLevel);
  const rows = byLevel.get(level) ?? [];
  byLevel.set(level, rows);
  rows.push({ correct: correct ? 1 : 0, tokens });
}

/** Scorer tokens evaluated (prompt tokens not served from a cache) and calls, by method and level. */
const scoring = new Map<string, Map<number, Usage[]>>();
function recordScoring(method: string, level: number, usage: Usage): void {
  const byLevel = scoring.get(method) ?? new Map<number, Usage[]>();
  scoring.set(method, byLevel);
  byLevel.set(level, [...(byLevel.get(level) ?? []), usage]);
}

const tokensOf = (list: readonly Candidate[]) => list.reduce((s, c) => s + c.completionTokens, 0);
let exactMismatches = 0;
let exactCompared = 0;
let prefixMismatches = 0;
let prefixCompared = 0;

/** A sample cut into steps at its newline tokens, as the step generator would have returned them. */
function stepsOf(c: Candidate): Step[] {
  const steps: Step[] = [];
  let text = "";
  let tokens = 0;
  for (const t of c.logprobs ?? []) {
    text += t.token;
    tokens++;
    if (!t.token.includes("\n")) continue;
    const done = statesArithAnswer(text);
    steps.push({ text, tokens, done, finishReason: "stop" });
    if (done) return steps;
    text = "";
    tokens = 0;
  }
  // The end of the text: what is left, and the end-of-text token (not in the logprobs).
  const rest = c.completionTokens - (c.logprobs?.length ?? 0);
  steps.push({ text, tokens: tokens + rest, done: true, finishReason: c.finishReason });
  return steps;
}

/** Replays early-reject (`spec`) on the pool's first `n` samples; real scorer calls. */
async function replayEarlyReject(
  problem: Problem,
  pool: Candidate[],
  spec: string,
): Promise<{ answer: string | null; tokens: number }> {
  const p = parseSpec(createStrategy(spec).spec).params;
  const settings = { n: Number(p.n), wave: Number(p.wave), floor: Number(p.floor), accept: Number(p.accept) };
  const steps = pool.slice(0, settings.n).map(stepsOf);
  const source: CandidateSteps = {
    start: async (first, size) => steps.slice(first, first + size).map((s) => s[0]!),
    next: async (batch) => batch.map((e) => steps[e.index]![e.steps]),
  };
  const entries: EarlyRejectEntry[] = [];
  const score = async (texts: string[]) => (await scorer.score(problem, texts)).scores;
  await earlyRejectRules(source, score, settings, entries, {
    changed() {},
    halt: () => null,
    progress() {},
  });
  const best = bestOf(entries);
  return {
    answer: best ? extractArithAnswer(best.text) : null,
    tokens: entries.reduce((sum, e) => sum + e.tokens, 0),
  };
}

/** Sample counts of the self-consistency curve printed from the pool (how far voting keeps gaining). */
const CURVE = [4, 8, 16, 24, 32, 48, 64];

function poolMetrics(level: number, gold: string, pool: Candidate[]): void {
  for (const k of CURVE) {
    const vote = majorityVote(
      pool.slice(0, k).map((c) => c.answer),
      same,
    );
    record(`curve sc@${k}`, level, vote?.answer === gold, tokensOf(pool.slice(0, k)));
  }
  for (const k of [16, 64]) {
    const first = pool.slice(0, k);
    const tokens = tokensOf(first);
    const vote = majorityVote(
      first.map((c) => c.answer),
      same,
    );
    record(`sc:n=${k}`, level, vote?.answer === gold, tokens);
    const best = argmax(first.map((c) => c.score ?? Number.NaN));
    record(`bon:n=${k}`, level, first[best]?.answer === gold, tokens);
    const weighted = weightedMajority(first, same);
    record(`weighted-vote:n=${k}`, level, weighted?.answer === gold, tokens);
    const sure = argmax(first.map((c) => c.confidence ?? Number.NaN));
    record(`self-certainty:n=${k}`, level, first[sure]?.answer === gold, tokens);
    record(
      `coverage@${k}`,
      level,
      first.some((c) => c.answer === gold),
      tokens,
    );
  }
}

console.log(
  `cpu: ${os.cpus()[0]?.model} × ${os.availableParallelism()}, node ${process.version}; ` +
    `policy ${model.id}; scorer ${scorer.id}${oracle ? " (an exact-verifier oracle)" : ""}`,
);
console.log(
  `levels ${levels.join(", ")} × ${count} ${split} problems, maxTokens ${maxTokens}, run seed ${runSeed}\n`,
);
const started = performance.now();
for (const level of levels) {
  const problems = generateArithSplit(split, level, count);
  for (const [index, p] of problems.entries()) {
    const problem: Problem = { id: p.id, prompt: formatArithPrompt(p) };
    const gold = String(p.answer);
    const options = {
      model,
      scorer,
      extractAnswer: extractArithAnswer,
      isCompleteSolution: statesArithAnswer,
      seed: runSeed * 100_003 + level * 1000 + index,
      defaults: { maxTokens },
    };
    // The pool: 64 samples with logprobs (seeds base + i, as every sampling method under this seed).
    const pooled = await runStrategy(
      sample({ n: 64, temperature: 0.8, topP: 1, topK: 0, logprobs: true }),
      problem,
      options,
    );
    const pool = pooled.candidates;
    // Scored in two calls, so that the first one is exactly what best-of-16 pays for scoring.
    const head = await scorer.score(
      problem,
      pool.slice(0, 16).map((c) => c.text),
    );
    const tail = await scorer.score(
      problem,
      pool.slice(16).map((c) => c.text),
    );
    const scores = [...head.scores, ...tail.scores];
    recordScoring("bon:n=16", level, head.usage);
    pool.forEach((c, i) => {
      c.score = scores[i]!.value;
      c.confidence = traceConfidence(c.logprobs, {
        token: "logprob",
        metric: "mean",
        window: 8,
        bottom: 0.1,
      });
    });
    poolMetrics(level, gold, pool);
    const bon16 = pool[argmax(pool.slice(0, 16).map((c) => c.score ?? Number.NaN))]!;
    for (const spec of REPLAY) {
      const replay = await replayEarlyReject(problem, pool, spec);
      record(`replay ${spec}`, level, replay.answer === gold, replay.tokens);
      if (spec.includes("accept=2")) {
        // Exact mode (no floor, no accept): best-of-16's answer by construction.
        exactCompared++;
        if (replay.answer !== bon16.answer) exactMismatches++;
      }
    }
    for (const spec of live) {
      const result: StrategyResult = await runStrategy(createStrategy(spec), problem, options);
      record(spec, level, result.answer === gold, result.usage.completionTokens);
      if (createStrategy(spec).needsScorer) recordScoring(spec, level, result.scorerUsage);
      if (/^(adaptive-sc|esc|cges)/.test(spec)) {
        // Same run seed: their samples must be the pool's first samples.
        result.candidates.forEach((c, i) => {
          prefixCompared++;
          if (c.text !== pool[i]!.text) prefixMismatches++;
        });
      }
    }
    process.stderr.write(
      `\rL${level} ${index + 1}/${count} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}
process.stderr.write("\n");

const ORDER = [
  "greedy",
  "sc:n=16",
  "sc:n=64",
  "bon:n=16",
  "bon:n=64",
  "weighted-vote:n=16",
  "weighted-vote:n=64",
  "self-certainty:n=16",
  "self-certainty:n=64",
  ...LIVE.slice(1),
  ...live.filter((m) => !LIVE.includes(m)),
  ...REPLAY.map((r) => `replay ${r}`),
  "coverage@16",
  "coverage@64",
];
const mean = (rows: Row[], key: keyof Row) => rows.reduce((s, r) => s + r[key], 0) / Math.max(1, rows.length);
const pct = (x: number) => `${(100 * x).toFixed(1)}`.padStart(5);
const header = ["method".padEnd(34), ...levels.map((l) => `L${l} acc%  tokens`.padEnd(18))].join(" ");
console.log(header);
console.log("-".repeat(header.length));
/** One table line: a method's accuracy and mean tokens at every level. */
function line(method: string, label = method): void {
  const byLevel = table.get(method);
  if (!byLevel) return;
  const cells = levels.map((l) => {
    const rows = byLevel.get(l) ?? [];
    return `${pct(mean(rows, "correct"))}  ${mean(rows, "tokens").toFixed(0).padStart(7)}`.padEnd(18);
  });
  console.log([label.padEnd(34), ...cells].join(" "));
}
for (const method of ORDER) line(method);
console.log("\nself-consistency curve from the pool (first k samples):");
for (const k of CURVE) line(`curve sc@${k}`, `sc@${k}`);

/** Accuracy and tokens of a method over the in-distribution levels shown. */
function pooledOver(method: string, only: number[]): { acc: number; tokens: number } {
  const rows = only.flatMap((l) => table.get(method)?.get(l) ?? []);
  return { acc: mean(rows, "correct"), tokens: mean(rows, "tokens") };
}
const inDist = levels.filter((l) => l <= 6);
console.log(`\ntargets over in-distribution levels ${inDist.join(", ")} (accuracy points, token share):`);
const sc64 = pooledOver("sc:n=64", inDist);
for (const method of live.filter((m) => /^(adaptive-sc|esc|cges)/.test(m))) {
  const m = pooledOver(method, inDist);
  const ok = m.acc >= sc64.acc - 0.01 && m.tokens <= 0.35 * sc64.tokens;
  console.log(
    `  ${method}: ${((m.acc - sc64.acc) * 100).toFixed(1)} pts vs sc:n=64 using ${((100 * m.tokens) / sc64.tokens).toFixed(0)}% of its tokens (target: ≥ −1 pt at ≤ 35%) ${ok ? "met" : "NOT met"}`,
  );
}
for (const k of [16, 64]) {
  const wv = pooledOver(`weighted-vote:n=${k}`, inDist);
  const sc = pooledOver(`sc:n=${k}`, inDist);
  console.log(
    `  weighted-vote:n=${k} ${pct(wv.acc)}% vs sc:n=${k} ${pct(sc.acc)}% (target: ≥) ${wv.acc >= sc.acc ? "met" : "NOT met"}`,
  );
}
const bon16 = pooledOver("bon:n=16", inDist);
for (const method of [
  ...live.filter((m) => /^(early-reject|speculative-rejection)/.test(m)),
  ...REPLAY.map((r) => `replay ${r}`),
]) {
  const m = pooledOver(method, inDist);
  const ok = m.acc >= bon16.acc - 0.01 && m.tokens <= 0.5 * bon16.tokens;
  console.log(
    `  ${method}: ${((m.acc - bon16.acc) * 100).toFixed(1)} pts vs bon:n=16 using ${((100 * m.tokens) / bon16.tokens).toFixed(0)}% of its tokens (target: ≥ −1 pt at ≤ 50%) ${ok ? "met" : "NOT met"}`,
  );
}
console.log("\nscorer cost per problem (tokens the scorer evaluated, calls):");
for (const [method, byLevel] of scoring) {
  const cells = levels.map((l) => {
    const rows = byLevel.get(l) ?? [];
    const per = (f: (u: Usage) => number) => rows.reduce((s, u) => s + f(u), 0) / Math.max(1, rows.length);
    return `L${l} ${per((u) => u.promptTokens - u.cachedPromptTokens).toFixed(0)} tokens, ${per((u) => u.calls).toFixed(0)} calls`;
  });
  console.log(`  ${method.padEnd(32)} ${cells.join("; ")}`);
}
// Same seeds give the same samples up to llama.cpp's floating-point differences between batch
// layouts (the pool decodes 32 sequences at once, adaptive-sc 4), which can flip a near-tie token.
console.log(
  `\nadaptive-sc/esc/cges samples that differ from the pool's sample of the same seed: ${prefixMismatches} of ${prefixCompared}`,
);
console.log(
  `replayed early-reject without floor and accept that answers differently from bon:n=16: ${exactMismatches} of ${exactCompared}`,
);
console.log(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
await scorer.close?.();
await model.close();
