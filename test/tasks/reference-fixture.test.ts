/**
 * Consistency of the PyTorch reference fixture with the task definition (pure TypeScript; the
 * llama.cpp comparison lives in the backend tests). Guards against a fixture regenerated with a
 * different PRM input format, vocabulary layout or labelling.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseArithQuestion, verifyArithSteps } from "../../src/tasks/arith/index.js";

interface Fixture {
  tolerance: number;
  vocabSize: number;
  policy: { model: string; cases: { text: string; tokenIds: number[]; top: Record<string, number> }[] };
  genprm: Fixture["policy"];
  prm: {
    model: string;
    cases: { question: string; steps: string[]; text: string; tokenIds: number[]; stepScores: number[] }[];
  };
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/arith-reference.json", import.meta.url), "utf8"),
) as Fixture;

/** Every fixture text uses only task characters, each one token, after <s> (id 1). */
function assertCharLevelIds(text: string, ids: number[]): void {
  assert.equal(ids[0], 1, "starts with <s>");
  assert.equal(ids.length, text.length + 1, "one token per character");
  assert.ok(ids.every((id) => id >= 0 && id < fixture.vocabSize));
}

describe("arith reference fixture", () => {
  it("has policy and generative PRM cases with normalised top log-probs", () => {
    for (const cases of [fixture.policy.cases, fixture.genprm.cases]) {
      assert.ok(cases.length >= 3);
      for (const c of cases) {
        assert.ok(parseArithQuestion(c.text.split("\n")[0]!), c.text);
        assertCharLevelIds(c.text, c.tokenIds);
        const logprobs = Object.values(c.top);
        // The top 10, down to e^-15 (llama.cpp's probabilities do not compare further down).
        assert.ok(logprobs.length >= 2 && logprobs.length <= 10);
        assert.ok(logprobs.every((lp) => lp <= 0 && lp >= -15));
        const mass = logprobs.reduce((s, lp) => s + Math.exp(lp), 0);
        // Values are rounded to 5 decimals, so the sum may exceed 1 by a little.
        assert.ok(mass > 0.5 && mass <= 1 + 1e-4, `top mass ${mass}`);
      }
    }
  });

  it("has PRM cases in the scorer's input format", () => {
    assert.ok(fixture.prm.cases.length >= 3);
    for (const c of fixture.prm.cases) {
      const expected = `Q:${c.question}\n${c.steps.map((s) => `${s}#\n`).join("")}`;
      assert.equal(c.text, expected);
      assertCharLevelIds(c.text, c.tokenIds);
      assert.equal(c.stepScores.length, c.steps.length);
      assert.ok(c.stepScores.every((s) => s >= 0 && s <= 1));
    }
  });

  it("covers both right and wrong steps", () => {
    const verdicts = fixture.prm.cases.flatMap((c) => verifyArithSteps(c.question, c.steps));
    assert.ok(verdicts.some((v) => v.correct));
    assert.ok(verdicts.some((v) => !v.correct));
  });
});
