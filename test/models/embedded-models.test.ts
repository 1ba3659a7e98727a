import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { StepLikelihoodScorer } from "../../src/scorers/confidence/step-likelihood.js";
import { LogprobPrm } from "../../src/scorers/reward/logprob-prm.js";
import {
  arithSolutionSteps,
  formatArithPrompt,
  generateArithSplit,
  splitArithSteps,
  verifyArithSteps,
} from "../../src/tasks/arith/index.js";
import { loadGenPrm, loadPolicy, loadPrm } from "../helpers/models.js";

interface Fixture {
  tolerance: number;
  policy: { cases: { text: string; tokenIds: number[]; top: Record<string, number> }[] };
  prm: {
    cases: { question: string; steps: string[]; text: string; tokenIds: number[]; stepScores: number[] }[];
  };
  genprm: { cases: { text: string; tokenIds: number[]; top: Record<string, number> }[] };
}

// Reference outputs exported from the trained PyTorch models by tools/train (fixtures.py).
const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/arith-reference.json", import.meta.url), "utf8"),
) as Fixture;

describe("the embedded models through deliberate's llama.cpp backend match PyTorch", () => {
  let policy: LlamaCppModel;
  let prmModel: LlamaCppModel;
  let genPrmModel: LlamaCppModel;
  before(async () => {
    policy = await loadPolicy(4);
    prmModel = await loadPrm(8);
    genPrmModel = await loadGenPrm(8);
  });
  after(async () => {
    await policy.close();
    await prmModel.close();
    await genPrmModel.close();
  });

  /** Next-token log-probabilities of `model` after each case's text against the PyTorch fixture. */
  async function matchesTop(model: LlamaCppModel, cases: Fixture["policy"]["cases"]) {
    for (const c of cases) {
      assert.deepEqual(model.encodePrompt(c.text), c.tokenIds, c.text);
      const probe = Object.keys(c.top)[0]!;
      const { tokens } = await model.score({ prompt: c.text, continuation: probe, topLogprobs: 20 });
      const got = tokens[0]!.top!;
      for (const [token, logprob] of Object.entries(c.top)) {
        assert.ok(token in got, `${JSON.stringify(token)} missing after ${JSON.stringify(c.text)}`);
        assert.ok(
          Math.abs(got[token]! - logprob) < fixture.tolerance,
          `${JSON.stringify(c.text)} → ${JSON.stringify(token)}: llama.cpp ${got[token]} vs PyTorch ${logprob}`,
        );
      }
    }
  }

  test("policy: same tokens, next-token log-probabilities within tolerance", async () => {
    await matchesTop(policy, fixture.policy.cases);
  });

  test("generative PRM: same tokens, next-token log-probabilities within tolerance", async () => {
    await matchesTop(genPrmModel, fixture.genprm.cases);
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

  test("generative PRM: prefers the right next step over the policy's wrong proposals after the same steps", async () => {
    // The choice step-level search makes: after a right prefix, the policy proposes next steps; the
    // exact verifier labels them. The generative PRM must rank right proposals above wrong ones far
    // more often than the policy's own likelihood does (which mirrors the policy's beliefs): at most half its misrankings.
    const judges = {
      genprm: new StepLikelihoodScorer({ model: genPrmModel, name: "genprm" }),
      policy: new StepLikelihoodScorer({ model: policy }),
    };
    const wins = { genprm: 0, policy: 0 };
    let pairs = 0;
    for (const level of [4, 5, 6]) {
      for (const p of generateArithSplit("test", level, 6)) {
        const gold = arithSolutionSteps(p);
        for (const at of [1, 3]) {
          const prefix = gold
            .slice(0, at)
            .map((s) => `${s}\n`)
            .join("");
          const prompt = formatArithPrompt(p) + prefix;
          const { completions } = await policy.complete({
            prompt,
            n: 8,
            temperature: 1,
            seed: level * 10 + at,
            maxTokens: 16,
            stop: ["\n"],
          });
          const steps = [...new Set(completions.map((c) => c.text.trim()).filter((t) => t.length > 0))];
          const labels = steps.map(
            (s) => verifyArithSteps(p.question, [...gold.slice(0, at), s])[at]!.correct,
          );
          if (!labels.includes(true) || !labels.includes(false)) continue;
          for (const [name, judge] of Object.entries(judges) as [keyof typeof wins, StepLikelihoodScorer][]) {
            const { scores } = await judge.score(
              { prompt: formatArithPrompt(p) },
              steps.map((s) => `${prefix}${s}\n`),
            );
            const last = scores.map((s) => s.steps!.at(-1)!);
            steps.forEach((_, i) => {
              steps.forEach((_, j) => {
                if (labels[i] && !labels[j])
                  wins[name] += last[i]! > last[j]! ? 1 : last[i] === last[j] ? 0.5 : 0;
              });
            });
          }
          labels.forEach((a) => {
            labels.forEach((b) => {
              if (a && !b) pairs += 1;
            });
          });
        }
      }
    }
    const rate = { genprm: wins.genprm / pairs, policy: wins.policy / pairs };
    assert.ok(pairs >= 20, `only ${pairs} right/wrong pairs`);
    assert.ok(rate.genprm >= 0.95, `generative PRM preference ${rate.genprm.toFixed(3)} on ${pairs} pairs`);
    // Measured on these pairs: 0.981 against 0.923 — a quarter of the policy's misrankings.
    assert.ok(
      1 - rate.genprm <= (1 - rate.policy) / 2,
      `generative PRM ${rate.genprm.toFixed(3)} vs the policy's own likelihood ${rate.policy.toFixed(3)}`,
    );
  });
});
