import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { agreement } from "../../src/allocation/difficulty.js";
import { warmupFeatures } from "../../src/allocation/features.js";
import { type AllocationPolicy, POLICY_FORMAT, PolicyMismatchError } from "../../src/allocation/policy.js";
import { predictDifficulty } from "../../src/allocation/predictor.js";
import { ConfigError } from "../../src/core/errors.js";
import { scorers } from "../../src/scorers/registry.js";
import type { AllocationChoice } from "../../src/strategies/auto.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, useScorer } from "./fixtures.js";

const SC4 = createStrategy("sc:n=4,temperature=0.8,topP=1,maxTokens=60").spec;
const exact = (a: string, b: string) => a === b;

/** Warm-up of 2; a split warm-up gets sc:n=4 (reusing it), a unanimous one greedy. */
function policyFile(overrides: Partial<AllocationPolicy> = {}): string {
  const policy: AllocationPolicy = {
    format: POLICY_FORMAT,
    version: 1,
    fingerprint: { model: { id: "arith-policy.gguf" }, task: "arith" },
    estimator: "agreement",
    warmup: { samples: 2, temperature: 0.8, topP: 1, maxTokens: 60 },
    budgetTokens: 100,
    bins: [
      { from: null, strategy: SC4, problems: 1, accuracy: 0, tokens: 0 },
      { from: 1, strategy: "greedy", problems: 1, accuracy: 0, tokens: 0 },
    ],
    expected: { problems: 2, accuracy: 0, tokens: 0 },
    runs: [],
    ...overrides,
  };
  const file = join(mkdtempSync(join(tmpdir(), "deliberate-auto-")), "policy.json");
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

describe("auto on the embedded model", () => {
  const model = usePolicy(8);
  const genprm = useScorer(() => scorers.create("genprm").open());

  test("spends the warm-up, picks the bin's strategy, reuses the warm-up and reports the choice", async () => {
    const auto = createStrategy(`auto:policy=${policyFile()}`);
    const seen = new Set<string>();
    for (const problem of [...arithProblems(2, 2), ...arithProblems(5, 3)]) {
      const result = await runStrategy(auto, problem, arithOptions(model()));
      const choice = result.meta?.allocation as AllocationChoice;
      const warmup = result.candidates.slice(0, 2);
      assert.equal(
        choice.difficulty,
        agreement(
          warmup.map((c) => c.answer),
          exact,
        ),
      );
      assert.equal(choice.bin, choice.difficulty === 1 ? 1 : 0);
      seen.add(choice.strategy);
      if (choice.bin === 0) {
        // sc:n=4 over the warm-up and two more samples: exactly sc:n=4's samples under the same seed.
        assert.equal(choice.strategy, SC4);
        assert.equal(choice.reused, 2);
        assert.equal(result.candidates.length, 4);
        const sc = await runStrategy(createStrategy(SC4), problem, arithOptions(model()));
        assert.deepEqual(
          result.candidates.map((c) => c.text),
          sc.candidates.map((c) => c.text),
        );
        assert.equal(result.answer, sc.answer);
      } else {
        // Greedy cannot reuse samples: it runs after the warm-up, and its solution is the answer.
        assert.equal(choice.strategy, "greedy");
        assert.equal(choice.reused, 0);
        assert.equal(result.candidates.length, 3);
        assert.equal(result.chosen, 2);
        const greedy = await runStrategy(createStrategy("greedy"), problem, arithOptions(model()));
        assert.equal(result.output, greedy.output);
      }
      assert.equal(result.usage.completionTokens, candidateTokens(result));
      const root = result.trace.find((n) => n.parent === null && n.meta?.strategy === "auto");
      assert.deepEqual(root?.meta?.allocation, choice);
    }
    assert.equal(seen.size, 2, "both branches ran: easy problems agree, hard ones split");
  });

  test("a confidence policy draws the warm-up with logprobs and bins by its mean token log-probability", async () => {
    const file = policyFile({
      estimator: "confidence",
      bins: [
        { from: null, strategy: SC4, problems: 1, accuracy: 0, tokens: 0 },
        { from: -0.05, strategy: "greedy", problems: 1, accuracy: 0, tokens: 0 },
      ],
    });
    const [problem] = arithProblems(4, 1);
    const result = await runStrategy(createStrategy(`auto:${file}`), problem!, arithOptions(model()));
    const choice = result.meta?.allocation as AllocationChoice;
    const warmup = result.candidates.slice(0, 2);
    const perSample = warmup.map((c) => {
      const lps = c.logprobs!.map((t) => t.logprob);
      return lps.reduce((a, b) => a + b, 0) / lps.length;
    });
    assert.ok(Math.abs(choice.difficulty - (perSample[0]! + perSample[1]!) / 2) < 1e-12);
    assert.ok(choice.difficulty <= 0);
    assert.equal(choice.bin, choice.difficulty >= -0.05 ? 1 : 0);
  });

  test("a predicted policy scores the warm-up and bins by its model's prediction from the warm-up features", async () => {
    const predictor = {
      features: ["meanScore" as const, "agreement" as const, "logTokens" as const],
      center: [0.5, 0.5, 3],
      scale: [0.3, 0.5, 1],
      weights: [2, 1, -1],
      intercept: 0,
    };
    const file = policyFile({
      estimator: "predicted",
      predictor,
      bins: [
        { from: null, strategy: SC4, problems: 1, accuracy: 0, tokens: 0 },
        { from: 0.5, strategy: "greedy", problems: 1, accuracy: 0, tokens: 0 },
      ],
    });
    const auto = createStrategy(`auto:policy=${file}`);
    assert.equal(auto.needsScorer, true, "its features include the warm-up's scores");
    const bins = new Set<number>();
    for (const problem of [...arithProblems(1, 2), ...arithProblems(6, 2)]) {
      const result = await runStrategy(auto, problem, arithOptions(model(), { scorer: genprm() }));
      const choice = result.meta?.allocation as AllocationChoice;
      const warmup = result.candidates.slice(0, 2);
      assert.ok(
        warmup.every((c) => typeof c.score === "number"),
        "the warm-up was scored",
      );
      const samples = warmup.map((c) => ({ answer: c.answer, score: c.score, tokens: c.completionTokens }));
      const expected = predictDifficulty(predictor, warmupFeatures(predictor.features, samples, exact));
      assert.ok(Math.abs(choice.difficulty - expected) < 1e-12);
      assert.equal(choice.bin, expected >= 0.5 ? 1 : 0);
      bins.add(choice.bin);
    }
    assert.equal(bins.size, 2, "easy and hard problems fall into different bins");
    const [problem] = arithProblems(1, 1);
    await assert.rejects(runStrategy(auto, problem!, arithOptions(model())), /needs a scorer/);
  });

  test("a policy of another model is refused with one clear error", async () => {
    const file = policyFile({
      fingerprint: { model: { id: "qwen2.5-1.5b-instruct-q4_k_m.gguf" }, task: "arith" },
    });
    const [problem] = arithProblems(1, 1);
    await assert.rejects(
      runStrategy(createStrategy(`auto:policy=${file}`), problem!, arithOptions(model())),
      (error: unknown) => {
        assert.ok(error instanceof PolicyMismatchError);
        assert.match(
          error.message,
          /fitted for model qwen2\.5-1\.5b-instruct-q4_k_m\.gguf on task arith, not for model arith-policy\.gguf/,
        );
        return true;
      },
    );
  });

  test("an oracle policy and a missing file are refused when the spec is parsed", () => {
    assert.throws(
      () => createStrategy(`auto:policy=${policyFile({ estimator: "oracle" })}`),
      /oracle policy cannot run/,
    );
    assert.throws(() => createStrategy("auto:policy=/nonexistent/policy.json"), ConfigError);
  });
});
