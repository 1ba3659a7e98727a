import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CapabilityError } from "../../src/core/errors.js";
import {
  aggregateConfidence,
  groupMeans,
  quantile,
  tokenValue,
  traceConfidence,
} from "../../src/strategies/confidence.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, run, ScriptedModel, solution } from "./fixtures.js";

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe("confidence signals", () => {
  test("token values: logprob, DeepConf confidence, negative entropy", () => {
    const t = { token: "a", logprob: -0.5, top: { a: -0.5, b: -1.5, c: -2.5 } };
    assert.equal(tokenValue(t, "logprob"), -0.5);
    assert.ok(close(tokenValue(t, "confidence"), 1.5));
    const p = [-0.5, -1.5, -2.5].map(Math.exp);
    const z = p.reduce((s, v) => s + v, 0);
    const h = -p.map((v) => v / z).reduce((s, q) => s + q * Math.log(q), 0);
    assert.ok(close(tokenValue(t, "entropy"), -h));
    // Without alternatives: confidence falls back to −logprob, entropy to 0.
    assert.equal(tokenValue({ token: "a", logprob: -0.25 }, "confidence"), 0.25);
    assert.equal(tokenValue({ token: "a", logprob: -0.25 }, "entropy"), 0);
  });
  test("group means slide over windows; short traces give one group", () => {
    assert.deepEqual(groupMeans([1, 2, 3, 4], 2), [1.5, 2.5, 3.5]);
    assert.deepEqual(groupMeans([1, 2], 5), [1.5]);
    assert.deepEqual(groupMeans([], 3), []);
  });
  test("aggregations: mean, lowest group, bottom groups, tail; NaN when empty", () => {
    const v = [5, 5, 1, 1, 5, 5, 5, 5];
    assert.equal(aggregateConfidence(v, "mean", 2), 4);
    assert.equal(aggregateConfidence(v, "lowest-group", 2), 1);
    assert.equal(aggregateConfidence(v, "bottom-group", 2, 0.3), (1 + 3 + 3) / 3);
    assert.equal(aggregateConfidence(v, "tail", 3), 5);
    assert.ok(Number.isNaN(aggregateConfidence([], "mean", 2)));
    assert.ok(
      Number.isNaN(traceConfidence(undefined, { token: "logprob", metric: "mean", window: 2, bottom: 0.1 })),
    );
  });
  test("quantile interpolates and ignores NaN", () => {
    assert.equal(quantile([3, 1, 2, Number.NaN], 0.5), 2);
    assert.equal(quantile([0, 10], 0.1), 1);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });
});

describe("self-certainty strategy (scripted)", () => {
  // Confident wrong answers are rare, confident right ones common: logprob per sample.
  const samples = [
    { text: solution("7"), logprob: -0.9 },
    { text: solution("8"), logprob: -0.2 },
    { text: solution("7"), logprob: -0.3 },
    { text: solution("7"), logprob: -0.25 },
    { text: "", logprob: -0.01 }, // empty: only the end-of-text token, no logprobs → NaN
  ];
  const model = () => new ScriptedModel((i) => samples[i % samples.length]!);

  test("best: the most confident candidate, NaN confidence ranks last", async () => {
    const result = await run(createStrategy("self-certainty:n=5"), { model: model() });
    assert.equal(result.answer, "8");
    assert.equal(result.chosen, 1);
    assert.ok(Number.isNaN(result.candidates[4]!.confidence));
    assert.ok(close(result.candidates[1]!.confidence!, -0.2));
    assert.ok(result.trace.some((n) => n.meta?.confidence !== undefined));
  });

  test("borda: rank-weighted vote lets a confident majority win", async () => {
    const result = await run(createStrategy("self-certainty:n=5,select=borda,p=1"), { model: model() });
    // Ranks: 8 (w=5), 7@-0.25 (4), 7@-0.3 (3), 7@-0.9 (2), empty (1) → 7 has 9, 8 has 5.
    assert.equal(result.answer, "7");
    assert.equal(result.candidates[result.chosen]!.answer, "7");
    assert.equal(result.chosen, 3, "the most confident member of the winning answer");
  });

  test("all answers missing: best still picks the most confident text, with a null answer", async () => {
    const m = new ScriptedModel((i) => ({ text: "no answer\n", logprob: -0.1 * (i + 1) }));
    const result = await run(createStrategy("self-certainty:n=3"), { model: m });
    assert.equal(result.chosen, 0);
    assert.equal(result.answer, null);
  });

  test("group metrics ask for top alternatives; lowest-group finds a bad stretch", async () => {
    const m = new ScriptedModel((i) =>
      i === 0
        ? { text: "aaaaaaaaA:1", logprob: [-0.1, -0.1, -3, -3, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1] }
        : { text: "bbbbbbbbA:2", logprob: -0.6 },
    );
    const result = await run(
      createStrategy("self-certainty:n=2,metric=lowest-group,token=logprob,window=2"),
      {
        model: m,
      },
    );
    assert.equal(result.answer, "2", "mean would prefer sample 0, its lowest group does not");
    const withTop = await run(createStrategy("self-certainty:n=2,token=confidence,topLogprobs=3"), {
      model: new ScriptedModel(() => ({ text: "A:1", logprob: -0.2 })),
    });
    assert.ok(withTop.candidates[0]!.logprobs![0]!.top, "alternatives were requested");
  });

  test("a backend without logprobs is a CapabilityError", async () => {
    const m = new ScriptedModel(() => solution("1"), { logprobs: false });
    await assert.rejects(run(createStrategy("self-certainty"), { model: m }), CapabilityError);
  });
});

describe("self-certainty on the embedded model", () => {
  const policy = usePolicy(8);

  test("every candidate gets a finite confidence; the chosen one is the most confident", async () => {
    const [problem] = arithProblems(5, 1);
    for (const spec of ["self-certainty:n=6", "self-certainty:n=6,token=confidence,metric=lowest-group"]) {
      const result = await runStrategy(createStrategy(spec), problem!, arithOptions(policy()));
      assert.equal(result.candidates.length, 6);
      const confidences = result.candidates.map((c) => c.confidence!);
      assert.ok(confidences.every(Number.isFinite), spec);
      assert.equal(result.candidates[result.chosen]!.confidence, Math.max(...confidences));
      assert.equal(result.usage.completionTokens, candidateTokens(result));
    }
  });
});
