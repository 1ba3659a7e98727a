import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { LogprobPrm } from "../../src/scorers/reward/logprob-prm.js";
import {
  formatArithPrompt,
  generateArithSplit,
  splitArithSteps,
  verifyArithSteps,
} from "../../src/tasks/arith/index.js";
import { loadPolicy, loadPrm } from "../helpers/models.js";

interface Fixture {
  tolerance: number;
  policy: { cases: { text: string; tokenIds: number[]; top: Record<string, number> }[] };
  prm: {
    cases: { question: string; steps: string[]; text: string; tokenIds: number[]; stepScores: number[] }[];
  };
}

// Reference outputs exported from the trained PyTorch models by tools/train (fixtures.py).
const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/arith-reference.json", import.meta.url), "utf8"),
) as Fixture;

describe("the embedded models through deliberate's llama.cpp backend match PyTorch", () => {
  let policy: LlamaCppModel;
  let prmModel: LlamaCppModel;
  before(async () => {
    policy = await loadPolicy(4);
    prmModel = await loadPrm(8);
  });
  after(async () => {
    await policy.close();
    await prmModel.close();
  });

  test("policy: same tokens, next-token log-probabilities within tolerance", async () => {
    for (const c of fixture.policy.cases) {
      assert.deepEqual(policy.encodePrompt(c.text), c.tokenIds, c.text);
      const probe = Object.keys(c.top)[0]!;
      const { tokens } = await policy.score({ prompt: c.text, continuation: probe, topLogprobs: 20 });
      const got = tokens[0]!.top!;
      for (const [token, logprob] of Object.entries(c.top)) {
        assert.ok(token in got, `${JSON.stringify(token)} missing after ${JSON.stringify(c.text)}`);
        assert.ok(
          Math.abs(got[token]! - logprob) < fixture.tolerance,
          `${JSON.stringify(c.text)} → ${JSON.stringify(token)}: llama.cpp ${got[token]} vs PyTorch ${logprob}`,
        );
      }
    }
  });

  test("PRM: same tokens, step scores within tolerance through the prm scorer", async () => {
    const prm = new LogprobPrm({ model: prmModel });
    for (const c of fixture.prm.cases) {
      assert.deepEqual(prmModel.encodePrompt(c.text), c.tokenIds, c.text);
      const problem = { prompt: formatArithPrompt({ question: c.question }) };
      const { scores } = await prm.score(problem, [c.steps.join("\n")]);
      const steps = scores[0]!.steps!;
      assert.equal(steps.length, c.stepScores.length);
      steps.forEach((s, i) => {
        assert.ok(
          Math.abs(s - c.stepScores[i]!) < fixture.tolerance,
          `${c.text} step ${i}: ${s} vs ${c.stepScores[i]}`,
        );
      });
    }
  });

  test("PRM separates right steps from wrong ones on held-out policy samples", async () => {
    // The policy's own samples on test problems, every step labelled by the exact verifier and
    // scored by the PRM: the AUROC of the step scores must show real separation.
    const prm = new LogprobPrm({ model: prmModel });
    const steps: { score: number; good: boolean }[] = [];
    for (const level of [3, 4, 5]) {
      for (const p of generateArithSplit("test", level, 8)) {
        const prompt = formatArithPrompt(p);
        const { completions } = await policy.complete({
          prompt,
          n: 6,
          temperature: 1,
          seed: level,
          maxTokens: 80,
        });
        const texts = completions.map((c) => c.text);
        const { scores } = await prm.score({ prompt }, texts);
        texts.forEach((text, i) => {
          const verdicts = verifyArithSteps(p.question, splitArithSteps(text));
          for (const [j, v] of verdicts.entries())
            steps.push({ score: scores[i]!.steps![j]!, good: v.correct });
        });
      }
    }
    const good = steps.filter((s) => s.good);
    const bad = steps.filter((s) => !s.good);
    assert.ok(good.length > 20 && bad.length > 20, `${good.length} right and ${bad.length} wrong steps`);
    let wins = 0;
    for (const g of good) for (const b of bad) wins += g.score > b.score ? 1 : g.score === b.score ? 0.5 : 0;
    const auroc = wins / (good.length * bad.length);
    assert.ok(auroc >= 0.75, `step AUROC ${auroc.toFixed(3)}`);
  });
});
