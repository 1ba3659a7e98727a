/**
 * Step-level search on the embedded arithmetic model under a step scorer (default: the embedded
 * generative PRM): accuracy against generated tokens, next to self-consistency and best-of-n at the
 * same tokens.
 *
 *   npx tsx bench/search.ts [--problems 20] [--level 5 --level 6] [--method beam] [--seed 1]
 *                           [--scorer prm|genprm|likelihood|verifier:arith]
 *
 * Problems come from the synthetic task's test split, by default its hardest in-distribution levels
 * (5 and 6 operations: the most steps). Every search method runs at three budgets (its own size
 * parameter). The baselines come from one pool of 64 samples per problem at temperature 0.8, scored
 * once by the PRM: for a search row that spent T generated tokens per problem on average, k = T / (mean
 * tokens of one sample), and sc@k, bon@k and coverage@k (pass@k, the ceiling) are the exact
 * expectations over k-subsets of the pool (src/eval/metrics). Also prints how many tokens the backend
 * evaluated against the unique tokens of each search tree (prefix reuse), and how many distinct
 * answers each search's complete solutions hold. Prints tables; asserts nothing.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import type { Problem } from "../src/core/prompt.js";
import type { Scorer } from "../src/core/scorer.js";
import { embeddedModels, embeddedScorerSpec } from "../src/defaults.js";
import { bestOfNAtK, majorityAtK, passAtK } from "../src/eval/metrics/index.js";
import { scorers } from "../src/scorers/registry.js";
import { createStrategy } from "../src/strategies/registry.js";
import { runStrategy } from "../src/strategies/run.js";
import { sample } from "../src/strategies/sample.js";
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
    method: { type: "string", multiple: true },
    "max-tokens": { type: "string", default: "80" },
    seed: { type: "string", default: "1" },
    pool: { type: "string", default: "64" },
    scorer: { type: "string", default: embeddedScorerSpec },
  },
});
const count = Number(values.problems);
const levels = (values.level ?? ["5", "6"]).flatMap((l) => l.split(",")).map(Number);
const maxTokens = Number(values["max-tokens"]);
const runSeed = Number(values.seed);
const poolSize = Number(values.pool);

/** Each method at three budgets. */
const METHODS: Record<string, string[]> = {
  beam: ["beam:n=4,m=2", "beam:n=8,m=2", "beam:n=16,m=4"],
  dvts: ["dvts:n=4,m=2", "dvts:n=8,m=2", "dvts:n=16,m=4"],
  "particle-filter": ["particle-filter:n=4", "particle-filter:n=8", "particle-filter:n=16"],
  // Weights from the raw scores instead of their log-odds (the default), for comparison.
  "particle-filter-score": [
    "particle-filter:n=4,weights=score",
    "particle-filter:n=8,weights=score",
    "particle-filter:n=16,weights=score",
  ],
  mcts: [
    "mcts:iterations=2,children=2,rollout=1",
    "mcts:iterations=4,children=2,rollout=1",
    "mcts:iterations=8,children=2,rollout=1",
  ],
  rebase: ["rebase:n=4", "rebase:n=8", "rebase:n=16"],
  "a-star": ["a-star:expansions=8", "a-star:expansions=16", "a-star:expansions=32"],
};
const chosen = values.method ?? Object.keys(METHODS);
const specs = chosen.flatMap((m) => {
  const list = METHODS[m];
  if (!list) throw new Error(`unknown method ${m}; known: ${Object.keys(METHODS).join(", ")}`);
  return list;
});
for (const spec of specs) createStrategy(spec); // fail fast on a bad spec

const model = await LlamaCppModel.load({ model: embeddedModels.policy, parallel: 32, gpu: false });
// The step scorer that guides the search and ranks best-of-n: the embedded PRM (discriminative or
// generative), the policy's own step likelihood (verifier-free), or the exact step verifier (an oracle
// upper bound).
const prm: Scorer & { close?(): Promise<void> } = await scorers.create(values.scorer!).open();

interface PoolStats {
  answers: (string | null)[];
  correct: boolean[];
  scores: number[];
  tokensPerSample: number;
}
interface SearchRow {
  correct: number;
  tokens: number;
  prmTokens: number;
  evaluated: number;
  unique: number;
  /** Distinct answers among the complete solutions the search returned. */
  answers: number;
  level: number;
  pool: PoolStats;
}
const rows = new Map<string, SearchRow[]>();

console.log(
  `cpu: ${os.cpus()[0]?.model} × ${os.availableParallelism()}, node ${process.version}; policy ${model.id}; scorer ${prm.id}`,
);
console.log(
  `levels ${levels.join(", ")} × ${count} test problems, maxTokens ${maxTokens}, run seed ${runSeed}\n`,
);
const started = performance.now();
for (const level of levels) {
  for (const [index, p] of generateArithSplit("test", level, count).entries()) {
    const problem: Problem = { id: p.id, prompt: formatArithPrompt(p) };
    const gold = String(p.answer);
    const options = {
      model,
      scorer: prm,
      extractAnswer: extractArithAnswer,
      isCompleteSolution: statesArithAnswer,
      seed: runSeed * 100_003 + level * 1000 + index,
      defaults: { maxTokens },
    };
    const pooled = await runStrategy(
      sample({ n: poolSize, temperature: 0.8, topP: 1, topK: 0 }),
      problem,
      options,
    );
    const { scores } = await prm.score(
      problem,
      pooled.candidates.map((c) => c.text),
    );
    const pool: PoolStats = {
      answers: pooled.candidates.map((c) => c.answer),
      correct: pooled.candidates.map((c) => c.answer === gold),
      scores: scores.map((s) => s.value),
      tokensPerSample: pooled.usage.completionTokens / poolSize,
    };
    const promptTokens = model.encodePrompt(problem.prompt).length;
    for (const spec of specs) {
      const result = await runStrategy(createStrategy(spec), problem, options);
      const list = rows.get(spec) ?? [];
      rows.set(spec, list);
      list.push({
        correct: result.answer === gold ? 1 : 0,
        tokens: result.usage.completionTokens,
        prmTokens: result.scorerUsage.promptTokens - result.scorerUsage.cachedPromptTokens,
        evaluated:
          result.usage.promptTokens - result.usage.cachedPromptTokens + result.usage.completionTokens,
        unique: promptTokens + result.trace.reduce((s, n) => s + n.tokens, 0),
        answers: new Set(result.candidates.map((c) => c.answer)).size,
        level,
        pool,
      });
    }
    process.stderr.write(
      `\rL${level} ${index + 1}/${count} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}
process.stderr.write("\n");

const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const pct = (x: number) => `${(100 * x).toFixed(1)}`.padStart(5);
/** Baselines at the tokens a search row spent, per problem: k = its tokens / tokens per sample. */
function baselines(list: SearchRow[]) {
  const sc: number[] = [];
  const bon: number[] = [];
  const cov: number[] = [];
  const ks: number[] = [];
  for (const r of list) {
    const k = Math.min(poolSize, Math.max(1, Math.round(r.tokens / r.pool.tokensPerSample)));
    ks.push(k);
    sc.push(majorityAtK(r.pool.answers, r.pool.correct, k).value);
    bon.push(bestOfNAtK(r.pool.scores, r.pool.correct, k).value);
    cov.push(passAtK(poolSize, r.pool.correct.filter(Boolean).length, k));
  }
  return { sc: avg(sc), bon: avg(bon), cov: avg(cov), k: avg(ks) };
}

for (const group of [levels, ...(levels.length > 1 ? levels.map((l) => [l]) : [])]) {
  console.log(
    `\nlevels ${group.join(", ")}: accuracy % (generated tokens per problem); baselines at the same tokens`,
  );
  const header = [
    "method".padEnd(40),
    "acc%".padStart(6),
    "tokens".padStart(7),
    "PRM tok".padStart(8),
    "k".padStart(5),
    "sc@k".padStart(6),
    "bon@k".padStart(6),
    "cov@k".padStart(6),
    "vs sc".padStart(7),
    "eval/tree".padStart(10),
    "answers".padStart(8),
  ].join(" ");
  console.log(header);
  console.log("-".repeat(header.length));
  for (const spec of specs) {
    const list = (rows.get(spec) ?? []).filter((r) => group.includes(r.level));
    if (list.length === 0) continue;
    const acc = avg(list.map((r) => r.correct));
    const base = baselines(list);
    const reuse = list.reduce((s, r) => s + r.evaluated, 0) / list.reduce((s, r) => s + r.unique, 0);
    console.log(
      [
        spec.padEnd(40),
        pct(acc).padStart(6),
        avg(list.map((r) => r.tokens))
          .toFixed(0)
          .padStart(7),
        avg(list.map((r) => r.prmTokens))
          .toFixed(0)
          .padStart(8),
        base.k.toFixed(1).padStart(5),
        pct(base.sc).padStart(6),
        pct(base.bon).padStart(6),
        pct(base.cov).padStart(6),
        `${acc >= base.sc ? "+" : ""}${((acc - base.sc) * 100).toFixed(1)}`.padStart(7),
        reuse.toFixed(3).padStart(10),
        avg(list.map((r) => r.answers))
          .toFixed(1)
          .padStart(8),
      ].join(" "),
    );
  }
}
console.log(
  "\nvs sc: accuracy points over self-consistency with the same generated tokens. eval/tree: tokens the" +
    " backend evaluated (uncached prompt + generated) over the unique tokens of the tree (prompt + nodes)." +
    " answers: distinct answers among a search's complete solutions, per problem.",
);
console.log(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
await prm.close?.();
await model.close();
