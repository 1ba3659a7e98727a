/**
 * Writes the model cards models/arith-policy.md and models/arith-prm.md from measurements made with
 * deliberate itself, so no number in them is typed by hand:
 *
 *   npx tsx tools/model-card.ts [--per-level 100] [--samples 32] [--out runs/model-card]
 *
 * 1. `deliberate eval --dataset arith:test` (levels 1–8) with a pool of samples scored by the
 *    embedded PRM and the greedy strategy: greedy, mean single-sample accuracy, maj@k, coverage@k.
 * 2. PRM quality on those held-out policy samples: every step labelled by the exact verifier,
 *    step accuracy at threshold 0.5 and AUROC of the PRM's step scores.
 * 3. Architecture and size from the GGUF files, sha256, and the training summary that
 *    tools/train writes (tools/train/training-summary.json).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { readGgufFileInfo } from "node-llama-cpp";
import { LlamaCppModel } from "../src/backends/llama-cpp/index.js";
import { embeddedModels, packageRoot } from "../src/defaults.js";
import { RunStore } from "../src/eval/store.js";
import type { EvalSummary } from "../src/eval/summary.js";
import { LogprobPrm } from "../src/scorers/reward/logprob-prm.js";
import { formatArithPrompt, splitArithSteps, verifyArithSteps } from "../src/tasks/arith/index.js";

const { values } = parseArgs({
  options: {
    "per-level": { type: "string", default: "100" },
    samples: { type: "string", default: "32" },
    out: { type: "string", default: path.join(packageRoot, "runs", "model-card") },
    resume: { type: "boolean", default: false },
  },
});

const out = values.out!;
const evalArgs = [
  "--import",
  "tsx",
  path.join(packageRoot, "src/cli/main.ts"),
  "eval",
  "--dataset",
  `arith:test:${values["per-level"]}`,
  "--samples",
  values.samples!,
  "--strategy",
  "greedy",
  "--scorer",
  "prm",
  "--max-tokens",
  "160",
  "--out",
  out,
  "--json",
  ...(values.resume ? ["--resume"] : []),
];
/** The eval command as a reader can rerun it, from the package root. */
const shownCommand = `deliberate ${evalArgs
  .slice(3)
  .filter((a) => a !== "--resume")
  .map((a) => (a === out ? path.relative(packageRoot, out) : a))
  .join(" ")}`;
console.error(shownCommand);
const run = spawnSync(process.execPath, evalArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
if (run.status !== 0) throw new Error(`deliberate eval failed with exit code ${run.status}`);
const summary = JSON.parse(run.stdout) as EvalSummary;

// PRM quality on the pool: step labels from the exact verifier, step scores from the embedded PRM
// (scored here, so the card describes the PRM file it is written for).
const store = RunStore.open(out);
const prmModel = await LlamaCppModel.load({ model: embeddedModels.prm, parallel: 16, gpu: false });
const scorer = new LogprobPrm({ model: prmModel });
const labelled: { score: number; good: boolean }[] = [];
const frontier: { score: number; good: boolean }[] = [];
const siblings: number[] = [];
const solutions: number[] = [];
for (const problem of store.problems()) {
  const question =
    typeof problem.prompt === "string" ? problem.prompt : problem.prompt.messages.at(-1)!.content;
  const line = question.trim().split("\n")[0]!;
  const samples = store.samples(problem.id);
  const { scores } = await scorer.score(
    { prompt: formatArithPrompt({ question: line.replace(/^Q:/, "") }) },
    samples.map((s) => s.text),
  );
  // Per sample: its steps, their verdicts and scores, for the step metrics and the pairwise ones.
  const rows = samples.map((sample, k) => {
    const steps = splitArithSteps(sample.text);
    const verdicts = verifyArithSteps(line, steps);
    return {
      steps,
      good: verdicts.map((v) => v.correct),
      scores: scores[k]!.steps ?? [],
      value: scores[k]!.value,
    };
  });
  for (const row of rows) {
    row.good.forEach((good, i) => {
      const score = row.scores[i];
      if (score === undefined || !Number.isFinite(score)) return;
      labelled.push({ score, good });
      if (i === 0 || row.good[i - 1]) frontier.push({ score, good });
    });
  }
  // Siblings: two samples with the same steps before position i whose step i is right in one and
  // wrong in the other — the choice step-level search asks the PRM to make.
  const seen = new Set<string>();
  for (const a of rows) {
    for (const b of rows) {
      for (let i = 0; i < Math.min(a.steps.length, b.steps.length); i++) {
        if (a.steps[i - 1] !== undefined && a.steps.slice(0, i).join("\n") !== b.steps.slice(0, i).join("\n"))
          break;
        if (a.good[i] && !b.good[i] && (i === 0 || a.good[i - 1])) {
          const key = `${a.steps.slice(0, i + 1).join("\n")}|${b.steps[i]}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const sa = a.scores[i] ?? Number.NaN;
          const sb = b.scores[i] ?? Number.NaN;
          siblings.push(sa > sb ? 1 : sa === sb ? 0.5 : 0);
        }
      }
    }
  }
  // Whole solutions: a fully right one against a wrong one of the same problem, by the scorer's
  // aggregate (min), as best-of-n compares them.
  for (const a of rows) {
    if (!a.good.every(Boolean) || a.good.length === 0) continue;
    for (const b of rows) {
      if (b.good.every(Boolean)) continue;
      solutions.push(a.value > b.value ? 1 : a.value === b.value ? 0.5 : 0);
    }
  }
}
store.close();
await prmModel.close();
const prm = {
  steps: labelled.length,
  goodShare: labelled.filter((s) => s.good).length / labelled.length,
  accuracy: labelled.filter((s) => s.score >= 0.5 === s.good).length / labelled.length,
  auroc: auroc(labelled),
  frontierSteps: frontier.length,
  frontierAuroc: auroc(frontier),
  siblingPairs: siblings.length,
  sibling: siblings.reduce((t, x) => t + x, 0) / siblings.length,
  solutionPairs: solutions.length,
  solution: solutions.reduce((t, x) => t + x, 0) / solutions.length,
};

const policyInfo = await modelFacts(embeddedModels.policy);
const prmInfo = await modelFacts(embeddedModels.prm);
const trainingFile = path.join(packageRoot, "tools/train/training-summary.json");
const training = existsSync(trainingFile)
  ? (JSON.parse(readFileSync(trainingFile, "utf8")) as Record<string, unknown>)
  : {};

writeFileSync(path.join(packageRoot, "models/arith-policy.md"), policyCard());
writeFileSync(path.join(packageRoot, "models/arith-prm.md"), prmCard());
console.error("wrote models/arith-policy.md and models/arith-prm.md");

function policyCard(): string {
  const ks = summary.ks;
  const header = [
    "level",
    "problems",
    "greedy",
    "mean single sample",
    ...ks.filter((k) => k > 1).map((k) => `maj@${k}`),
    ...ks.map((k) => `coverage@${k}`),
  ];
  const rows = summary.groups.map((g) => {
    const metric = (name: string) => {
      const m = g.metrics.find((x) => x.name === name || x.strategy === name);
      return m ? `${pct(m.value)} (${pct(m.ci[0])}–${pct(m.ci[1])})` : "–";
    };
    return [
      g.label,
      String(g.problems),
      metric("greedy"),
      metric("pass@1"),
      ...ks.filter((k) => k > 1).map((k) => metric(`maj@${k}`)),
      ...ks.filter((k) => k > 1).map((k) => metric(`coverage@${k}`)),
    ];
  });
  return `# arith-policy — the embedded default policy

A tiny llama-architecture transformer trained by this project on the synthetic step-by-step
arithmetic task of \`src/tasks/arith\` (levels 1–6 only), so that deliberate runs its main job and its
tests offline. It is imperfect on purpose: single samples are often wrong while many samples usually
contain a right one — the regime where test-time scaling pays.

${facts(policyInfo)}
${trainingSection("policy")}
## Accuracy (measured with \`deliberate eval\`)

\`${shownCommand}\`: the test split, ${summary.problems.total} problems,
a pool of ${summary.pool.samples} samples per problem at temperature ${summary.pool.temperature}, seed
${summary.seed}. Levels 7–8 are out of distribution (longer than anything trained on). Values are
accuracies with 95% bootstrap intervals over problems; maj@k and coverage@k (pass@k) are estimated
from the one pool of samples.

${table(header, rows)}
`;
}

function prmCard(): string {
  return `# arith-prm — the embedded process reward model

A Math-Shepherd-style process reward model with the policy's architecture and tokenizer. After
every step of a solution comes the step tag \`#\`; the model predicts \`+\` (the step and all before it
are right) or \`-\`, and deliberate's \`prm\` scorer reads the step score P(+) / (P(+) + P(−)) from the
log-probabilities — the same path it uses for logprob PRMs behind servers. Input format:
\`Q:96-7+32-58\\n96-7=89#\\n89+32=121#\\n…A:63#\\n\`.

${facts(prmInfo)}
${trainingSection("prm")}
## Quality (measured with deliberate)

On the ${prm.steps} steps of the held-out policy samples of the accuracy run of
[arith-policy.md](arith-policy.md) (test split, levels 1–8), each labelled by the exact step
verifier (${pct(prm.goodShare)} of them correct) and scored by this model through the \`prm\` scorer:

| metric | value |
| --- | --- |
| step accuracy (score ≥ 0.5 ⇔ correct) | ${pct(prm.accuracy)} |
| step AUROC | ${prm.auroc.toFixed(3)} |
| frontier step AUROC (steps whose earlier steps are all right: ${prm.frontierSteps}) | ${prm.frontierAuroc.toFixed(3)} |
| sibling preference: a right step over a wrong one after the same steps (${prm.siblingPairs} pairs) | ${pct(prm.sibling)} |
| solution preference: a right solution over a wrong one of the same problem, by the \`min\` aggregate (${prm.solutionPairs} pairs) | ${pct(prm.solution)} |

The plain step AUROC is flattered by steps after a first error, which are wrong by definition and easy
to spot once the chain has gone wrong; the frontier AUROC and the sibling preference measure what
step-level search needs (choosing between next steps of one partial solution), the solution
preference what best-of-n and weighted voting need. Ties count half.
`;
}

function trainingSection(which: "policy" | "prm"): string {
  const entry = training[which] as Record<string, unknown> | undefined;
  if (!entry) return "";
  const rows = Object.entries(entry).map(([k, v]) => [
    k,
    typeof v === "object" ? JSON.stringify(v) : String(v),
  ]);
  return `\n## Training\n\nFrom \`tools/train/training-summary.json\`, written by \`tools/train/train-all.sh\`.\n\n${table(["", ""], rows)}\n`;
}

async function modelFacts(file: string) {
  const info = await readGgufFileInfo(file);
  const meta = info.metadata as unknown as {
    llama: Record<string, number> & { attention: { head_count: number } };
    tokenizer: { ggml: { tokens: string[] } };
  };
  let params = 0;
  for (const t of info.fullTensorInfo ?? info.tensorInfo ?? [])
    params += t.dimensions.reduce((p: number, d) => p * Number(d), 1);
  const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  return {
    file: path.relative(packageRoot, file),
    bytes: readFileSync(file).length,
    sha256,
    params,
    layers: meta.llama.block_count,
    dModel: meta.llama.embedding_length,
    ffn: meta.llama.feed_forward_length,
    heads: meta.llama.attention.head_count,
    context: meta.llama.context_length,
    vocab: meta.tokenizer.ggml.tokens.length,
  };
}

function facts(f: Awaited<ReturnType<typeof modelFacts>>): string {
  return table(
    ["", ""],
    [
      ["file", `\`${f.file}\` (${(f.bytes / 1e6).toFixed(2)} MB, F16)`],
      ["sha256", `\`${f.sha256}\``],
      ["parameters", f.params.toLocaleString("en-US")],
      [
        "architecture",
        `llama: ${f.layers} layers, d_model ${f.dModel}, ${f.heads} heads, SwiGLU FFN ${f.ffn}, RoPE, RMSNorm`,
      ],
      ["context", `${f.context} tokens`],
      ["vocabulary", `${f.vocab} tokens: <unk>, <s>, </s>, 256 byte-fallback tokens, the task's characters`],
    ],
  );
}

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Area under the ROC curve: the probability that a right step outscores a wrong one (ties count half). */
function auroc(items: { score: number; good: boolean }[]): number {
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const rank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) {
      if (sorted[t]!.good) {
        rankSum += rank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = sorted.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
