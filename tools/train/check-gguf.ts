/**
 * Loads the exported GGUFs with node-llama-cpp and compares them with the PyTorch reference fixture
 * (test/fixtures/arith-reference.json): tokenization, the policy's and the generative PRM's top-10
 * next-token log-probs and the PRM's step scores. Exits non-zero on a mismatch. Also prints a few greedy policy completions as a smoke test.
 *
 *   npx tsx tools/train/check-gguf.ts [fixture.json]
 */
import { readFileSync } from "node:fs";
import {
  type ControlledEvaluateInputItem,
  getLlama,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";

interface Fixture {
  tolerance: number;
  policy: { model: string; cases: { text: string; tokenIds: number[]; top: Record<string, number> }[] };
  prm?: { model: string; cases: { text: string; tokenIds: number[]; stepScores: number[] }[] };
  genprm?: Fixture["policy"];
}

const fixture = JSON.parse(
  readFileSync(process.argv[2] ?? "test/fixtures/arith-reference.json", "utf8"),
) as Fixture;
const llama = await getLlama({ gpu: false });
let failures = 0;

function check(label: string, got: number, want: number): void {
  const ok = Math.abs(got - want) <= fixture.tolerance;
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${label}: llama.cpp ${got.toFixed(4)} torch ${want.toFixed(4)}`);
}

function tokensOf(model: LlamaModel, text: string, expected: number[]): Token[] {
  // model.tokenize adds no BOS: prepend it, as the fixture's ids start with <s>.
  const ids = [model.tokens.bos!, ...model.tokenize(text)];
  if (JSON.stringify(ids) !== JSON.stringify(expected)) {
    failures++;
    console.log(`FAIL tokenization of ${JSON.stringify(text)}: ${ids} vs ${expected}`);
  }
  return ids;
}

/** Next-token probabilities after every position listed in `at` (indices into `ids`). */
async function probsAt(seq: LlamaContextSequence, ids: Token[], at: number[]): Promise<Map<Token, number>[]> {
  await seq.clearHistory();
  const marked = new Set(at);
  const input = ids.map(
    (t, i): ControlledEvaluateInputItem =>
      marked.has(i) ? [t, { generateNext: { probabilities: true } }] : t,
  );
  const out = await seq.controlledEvaluate(input);
  return at.map((i) => out[i]!.next.probabilities!);
}

async function open(path: string) {
  const model = await llama.loadModel({ modelPath: path });
  const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
  return { model, seq: ctx.getSequence() };
}

/** Checks a language model's top next-token log-probs against the fixture's cases. */
async function checkTop(label: string, part: Fixture["policy"]) {
  const lm = await open(part.model);
  for (const c of part.cases) {
    const ids = tokensOf(lm.model, c.text, c.tokenIds);
    const [probs] = await probsAt(lm.seq, ids, [ids.length - 1]);
    for (const [token, want] of Object.entries(c.top)) {
      const id = token === "</s>" ? lm.model.tokens.eos! : lm.model.tokenize(token)[0]!;
      check(
        `${label} ${JSON.stringify(c.text)} → ${JSON.stringify(token)}`,
        Math.log(probs!.get(id) ?? 1e-30),
        want,
      );
    }
  }
  return lm;
}

const policy = await checkTop("policy", fixture.policy);
if (fixture.genprm) await checkTop("genprm", fixture.genprm);

for (const q of ["Q:57+38-19+44\n", "Q:12+30\n"]) {
  const ids = [policy.model.tokens.bos!, ...policy.model.tokenize(q)];
  await policy.seq.clearHistory();
  const out: Token[] = [];
  for await (const t of policy.seq.evaluate(ids, { temperature: 0 })) {
    out.push(t);
    if (out.length > 120) break;
  }
  console.log(`greedy ${JSON.stringify(q)} → ${JSON.stringify(policy.model.detokenize(out))}`);
}

if (fixture.prm) {
  const prm = await open(fixture.prm.model);
  const tag = prm.model.tokenize("#")[0]!;
  const plus = prm.model.tokenize("+")[0]!;
  const minus = prm.model.tokenize("-")[0]!;
  for (const c of fixture.prm.cases) {
    const ids = tokensOf(prm.model, c.text, c.tokenIds);
    const tagPositions = ids.flatMap((t, i) => (t === tag ? [i] : []));
    const probs = await probsAt(prm.seq, ids, tagPositions);
    probs.forEach((p, k) => {
      const score = (p.get(plus) ?? 0) / ((p.get(plus) ?? 0) + (p.get(minus) ?? 0));
      check(`prm ${JSON.stringify(c.text)} step ${k + 1}`, score, c.stepScores[k]!);
    });
  }
}

console.log(failures === 0 ? "all checks passed" : `${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
