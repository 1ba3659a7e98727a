import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { warmupFeature, warmupFeatures } from "../../src/allocation/features.js";
import { parsePolicy } from "../../src/allocation/policy.js";
import { fitPredictor, predictDifficulty } from "../../src/allocation/predictor.js";
import { sampleLadder } from "../../src/allocation/runs.js";
import { selectPolicy } from "../../src/allocation/select.js";
import { loadRun, tunePolicy } from "../../src/allocation/tune.js";
import { ConfigError } from "../../src/core/errors.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { handBuiltRun, scoredRun } from "./fixtures.js";

const exact = (a: string, b: string) => a === b;
const sc = (n: number) => createStrategy(`sc:n=${n},temperature=0.8,topP=1,maxTokens=64`).spec;

describe("warm-up features", () => {
  const warmup = [
    { answer: "4", score: 0.9, tokens: 10 },
    { answer: "4", score: 0.5, tokens: 20 },
    { answer: "5", score: 0.6, tokens: 30 },
    { answer: null, score: Number.NaN, tokens: 40 },
  ];

  test("each feature is computed as documented", () => {
    assert.equal(warmupFeature("agreement", warmup, exact), 0.5);
    assert.equal(warmupFeature("answered", warmup, exact), 0.75);
    assert.ok(Math.abs(warmupFeature("meanScore", warmup, exact) - 2 / 3) < 1e-12, "NaN left out");
    assert.equal(warmupFeature("maxScore", warmup, exact), 0.9);
    assert.equal(warmupFeature("minScore", warmup, exact), 0.5);
    // The weighted vote picks "4" (0.9 + 0.5 of 2.0 in all).
    assert.ok(Math.abs(warmupFeature("weightedAgreement", warmup, exact) - 0.7) < 1e-12);
    assert.equal(warmupFeature("logTokens", warmup, exact), Math.log(26));
  });

  test("score features refuse unscored samples; the others do not need scores", () => {
    const unscored = warmup.map(({ answer, tokens }) => ({ answer, tokens }));
    assert.deepEqual(warmupFeatures(["agreement", "answered"], unscored, exact), [0.5, 0.75]);
    assert.throws(() => warmupFeature("maxScore", unscored, exact), /needs scored samples/);
  });
});

describe("the difficulty predictor", () => {
  test("recovers a known logistic relation and ignores a feature without signal", () => {
    // rate = sigmoid(2 x − 1) exactly; the second feature alternates and carries nothing.
    const rows = Array.from({ length: 41 }, (_, i) => {
      const x = -2 + i / 10;
      return { x: [x, i % 2], rate: 1 / (1 + Math.exp(-(2 * x - 1))) };
    });
    const predictor = fitPredictor(["meanScore", "logTokens"], rows, { l2: 0 });
    assert.ok(Math.abs(predictor.weights[0]! / predictor.scale[0]! - 2) < 1e-6);
    assert.ok(Math.abs(predictor.weights[1]!) < 1e-6);
    for (const x of [-1.5, 0, 0.5, 1.7]) {
      assert.ok(Math.abs(predictDifficulty(predictor, [x, 0]) - 1 / (1 + Math.exp(-(2 * x - 1)))) < 1e-6);
    }
  });

  test("the L2 penalty shrinks the weights", () => {
    const rows = [0, 1, 2, 3].map((x) => ({ x: [x], rate: x / 3 }));
    const loose = fitPredictor(["meanScore"], rows, { l2: 0.01 });
    const tight = fitPredictor(["meanScore"], rows, { l2: 10 });
    assert.ok(tight.weights[0]! > 0 && tight.weights[0]! < loose.weights[0]!);
  });
});

describe("tune with the predicted estimator", () => {
  const dir = scoredRun();

  test("finds the known optimum that no single estimate reaches: the warm-up's length tells hard from easy", () => {
    // Easy: one sample (10 tokens) is right. Hard: only the vote over all 4 (80 tokens) is. Budget 45
    // = (6 × 10 + 6 × 80) / 12 affords exactly that.
    const policy = tunePolicy([dir], { budgetTokens: 45, warmup: 1, estimator: "predicted" });
    assert.equal(policy.expected.accuracy, 1);
    assert.equal(policy.expected.tokens, 45);
    assert.deepEqual(
      policy.bins.map((b) => b.strategy),
      [sc(4), sc(1)],
    );
    assert.ok(policy.predictor);
    assert.deepEqual(policy.predictor.features, [
      "agreement",
      "answered",
      "meanScore",
      "maxScore",
      "minScore",
      "weightedAgreement",
      "logTokens",
    ]);
    // The same warm-up's mean score (0.9 everywhere) puts every problem in one bin.
    const score = tunePolicy([dir], { budgetTokens: 45, warmup: 1, estimator: "score" });
    assert.equal(score.bins.length, 1);
    assert.equal(score.expected.accuracy, 0.5);
  });

  test("the policy file keeps the predictor and round-trips; a predicted policy without one is refused", () => {
    const policy = tunePolicy([dir], { budgetTokens: 45, warmup: 1, estimator: "predicted" });
    assert.deepEqual(parsePolicy(JSON.stringify(policy)), policy);
    const { predictor: _, ...bare } = policy;
    assert.throws(() => parsePolicy(JSON.stringify(bare)), /needs its 'predictor'/);
  });

  test("score features are refused on unscored runs; the other features still fit", () => {
    const unscored = handBuiltRun();
    assert.throws(
      () =>
        tunePolicy([unscored], {
          budgetTokens: 30,
          warmup: 2,
          estimator: "predicted",
          features: ["meanScore"],
        }),
      /need runs with a scorer/,
    );
    const policy = tunePolicy([unscored], { budgetTokens: 30, warmup: 2, estimator: "predicted" });
    assert.deepEqual(policy.predictor?.features, ["agreement", "answered", "logTokens"]);
    assert.equal(policy.expected.accuracy, 1, "the warm-up's agreement separates these problems");
  });
});

describe("configuration by cross-validation", () => {
  const run = loadRun(scoredRun());

  test("chooses the estimator that holds up on held-out problems and refits it on all", () => {
    const selection = selectPolicy([run], {
      budgetTokens: 45,
      estimators: ["score", "predicted"],
      warmups: [1],
      bins: [2, 4],
      folds: 3,
    });
    assert.equal(selection.config.estimator, "predicted");
    assert.equal(selection.policy.expected.accuracy, 1);
    const byEstimator = (e: string) => selection.scores.filter((s) => s.estimator === e);
    for (const s of byEstimator("predicted")) assert.equal(s.accuracy, 1);
    for (const s of byEstimator("score")) assert.equal(s.accuracy, 0.5);
    assert.equal(selection.scores.length, 4);
  });

  test("a warm-up dearer than the budget is no candidate; no candidate at all is one error", () => {
    // A warm-up of 4 costs 60 tokens on average: above a budget of 45.
    const selection = selectPolicy([run], {
      budgetTokens: 45,
      estimators: ["predicted"],
      warmups: [1, 4],
      bins: [4],
      folds: 3,
    });
    assert.equal(selection.config.warmup, 1);
    assert.equal(selection.scores.find((s) => s.warmup === 4)?.accuracy, null);
    assert.throws(
      () =>
        selectPolicy([run], { budgetTokens: 5, estimators: ["score"], warmups: [1], bins: [4], folds: 3 }),
      (error: unknown) =>
        error instanceof ConfigError && /no configuration meets a budget of 5/.test(error.message),
    );
  });
});

describe("the sample ladder", () => {
  test("powers of two, the midpoints between them, the start and the pool size", () => {
    assert.deepEqual(sampleLadder(1, 32), [1, 2, 3, 4, 6, 8, 12, 16, 24, 32]);
    assert.deepEqual(sampleLadder(3, 20), [3, 4, 6, 8, 12, 16, 20]);
    assert.deepEqual(sampleLadder(5, 5), [5]);
  });
});
