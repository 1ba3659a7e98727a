import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { StepLikelihoodScorer } from "../../src/scorers/confidence/step-likelihood.js";
import { scorers } from "../../src/scorers/registry.js";
import { loadPolicy } from "../helpers/models.js";
import { ScriptedModel } from "../strategies/fixtures.js";

const problem = { prompt: "Q:57+38-19\n" };

describe("step likelihood scorer on the embedded policy", () => {
  let model: LlamaCppModel;
  before(async () => {
    model = await loadPolicy(4);
  });
  after(async () => {
    await model.close();
  });

  test("one score per step; a slipped digit sinks its step and only its step", async () => {
    const scorer = new StepLikelihoodScorer({ model });
    const { scores, usage } = await scorer.score(problem, [
      "57+38=95\n95-19=76\nA:76\n",
      "57+38=96\n96-19=77\nA:77\n",
    ]);
    const [right, slipped] = scores;
    assert.equal(right!.steps!.length, 3);
    assert.equal(slipped!.steps!.length, 3);
    for (const s of [...right!.steps!, ...slipped!.steps!]) assert.ok(s > 0 && s <= 1);
    assert.ok(right!.steps![0]! > 0.5, "the policy is sure of 57+38=95");
    assert.ok(slipped!.steps![0]! < 0.1 * right!.steps![0]!, "…and finds 96 unlikely");
    // After the slip the chain is consistent again: 96-19=77 is what the policy would write.
    assert.ok(slipped!.steps![1]! > 0.5);
    assert.equal(right!.value, Math.min(...right!.steps!), "aggregation min by default");
    assert.equal(usage.calls, 2);
  });

  test("cumulative step scores are the running minimum of the per-step scores", async () => {
    const text = ["57+38=96\n96-19=77\nA:77\n"];
    const own = (await new StepLikelihoodScorer({ model }).score(problem, text)).scores[0]!.steps!;
    const prefix = (await new StepLikelihoodScorer({ model, cumulative: true }).score(problem, text))
      .scores[0]!.steps!;
    assert.ok(own[1]! > own[0]!, "the step after the slip is likely on its own");
    assert.deepEqual(
      prefix,
      own.map((_, i) => Math.min(...own.slice(0, i + 1))),
    );
  });

  test("mean reduction is never below min reduction", async () => {
    const text = ["57+38=96\n96-19=77\nA:77\n"];
    const min = (await new StepLikelihoodScorer({ model }).score(problem, text)).scores[0]!.steps!;
    const mean = (await new StepLikelihoodScorer({ model, reduce: "mean" }).score(problem, text)).scores[0]!
      .steps!;
    mean.forEach((m, i) => {
      assert.ok(m >= min[i]! - 1e-12);
    });
  });

  test("an empty solution scores 0 without a model call", async () => {
    const { scores, usage } = await new StepLikelihoodScorer({ model }).score(problem, ["", "\n"]);
    assert.deepEqual(
      scores.map((s) => s.value),
      [0, 0],
    );
    assert.equal(usage.calls, 0);
  });
});

test("the likelihood scorer needs a model that scores continuations", () => {
  const model = new ScriptedModel(() => "x");
  assert.throws(() => new StepLikelihoodScorer({ model }), /cannot score continuations/);
});

test("scorers.create('likelihood') opens the embedded policy as the judge of its own steps", async () => {
  const scorer = await scorers.create("likelihood:reduce=mean,aggregation=last").open();
  try {
    assert.match(scorer.id, /^likelihood:arith-policy\.gguf$/);
    const { scores } = await scorer.score(problem, ["57+38=95\n"]);
    assert.equal(scores[0]!.steps!.length, 1);
  } finally {
    await scorer.close?.();
  }
});

test("scorers.create('genprm') opens the embedded generative PRM, which sinks a slipped step", async () => {
  const scorer = await scorers.create("genprm").open();
  try {
    assert.match(scorer.id, /^genprm:arith-genprm\.gguf$/);
    const { scores } = await scorer.score(problem, [
      "57+38=95\n95-19=76\nA:76\n",
      "57+38=95\n95-19=66\nA:66\n",
    ]);
    const [right, slipped] = scores;
    assert.equal(right!.steps!.length, 3);
    assert.ok(right!.value > 0.5, `right solution ${right!.value}`);
    assert.ok(slipped!.steps![0]! > 0.5, "the shared first step is right");
    assert.ok(slipped!.steps![1]! < 0.05, `95-19=66 scored ${slipped!.steps![1]}`);
    assert.ok(slipped!.steps![2]! <= slipped!.steps![1]!, "a step after the slip keeps the prefix's score");
    assert.equal(slipped!.value, Math.min(...slipped!.steps!));
  } finally {
    await scorer.close?.();
  }
});
