import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CapabilityError, ConfigError } from "../../src/core/errors.js";
import { answerPosterior, sampleReliability } from "../../src/strategies/cges.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import {
  arithOptions,
  arithProblems,
  candidateTokens,
  run,
  ScriptedModel,
  type ScriptedSample,
  solution,
} from "./fixtures.js";

const exact = (a: string, b: string) => a === b;
const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) < tol;
const list = (xs: (string | null)[]) => xs.map((answer) => ({ answer }));

/** A sample with a constant token logprob, or with a stretch of 8 very unlikely tokens. */
function sampled(answer: string | null, logprob: number, badStretch = false): ScriptedSample {
  const text = solution(answer, "12+34=46\n46-5=41\n");
  return { text, logprob: [...text].map((_, i) => (badStretch && i >= 4 && i < 12 ? -4 : logprob)) };
}

describe("answer posterior", () => {
  test("matches the hand computation: odds exp(Σ log(r / ((1 − r)·q))) against the unseen answer", () => {
    // q = 0.3: r = 0.9 gives odds 30 per sample, r = 0.6 gives 5.
    const p = answerPosterior(list(["1", "2", "1"]), [0.9, 0.6, 0.9], 0.3, exact);
    assert.deepEqual(
      p.answers.map((a) => a.answer),
      ["1", "2"],
    );
    assert.equal(p.lead, 0);
    assert.ok(close(p.answers[0]!.probability, 900 / 906));
    assert.ok(close(p.answers[1]!.probability, 5 / 906));
    assert.ok(close(p.unseen, 1 / 906));
    assert.ok(close(p.answers[0]!.evidence, 2 * Math.log(30)));
    assert.deepEqual(p.answers[0]!.members, [0, 2]);
  });

  test("a sample below r = q/(1 + q) counts against its own answer", () => {
    const q = 0.3;
    const low = answerPosterior(list(["4"]), [0.2], q, exact);
    assert.ok(low.answers[0]!.probability < low.unseen);
    const edge = answerPosterior(list(["4"]), [q / (1 + q)], q, exact);
    assert.ok(close(edge.answers[0]!.probability, 0.5, 1e-9));
  });

  test("one confident sample outweighs three unconfident ones", () => {
    const p = answerPosterior(list(["3", "3", "3", "7"]), [0.1, 0.1, 0.1, 0.98], 0.3, exact);
    assert.equal(p.answers[p.lead]!.answer, "7");
    assert.ok(p.answers[p.lead]!.probability > 0.99);
  });

  test("missing answers and NaN reliabilities carry no evidence; ties go to the answer seen first", () => {
    const p = answerPosterior(list([null, "2", "5", "5"]), [0.99, 0.8, Number.NaN, 0.8], 0.3, exact);
    assert.deepEqual(
      p.answers.map((a) => [a.answer, a.members]),
      [
        ["2", [1]],
        ["5", [3]],
      ],
    );
    assert.equal(p.lead, 0, "equal evidence: the first seen leads");
    assert.ok(close(p.answers[0]!.probability, p.answers[1]!.probability));
    const none = answerPosterior(list([null, null]), [0.9, 0.9], 0.3, exact);
    assert.deepEqual(none, { answers: [], lead: -1, unseen: 1 });
  });

  test("answers are grouped by the equivalence given", () => {
    const loose = (a: string, b: string) => Number(a) === Number(b);
    const p = answerPosterior(list(["0.5", ".5"]), [0.9, 0.9], 0.3, loose);
    assert.equal(p.answers.length, 1);
    assert.deepEqual(p.answers[0]!.members, [0, 1]);
  });
});

describe("sample reliability", () => {
  const lps = (values: number[]) => ({ logprobs: values.map((logprob) => ({ token: "x", logprob })) });
  test("is the geometric-mean probability of the least likely window, clamped", () => {
    assert.ok(close(sampleReliability(lps(new Array(20).fill(-0.1)), 8), Math.exp(-0.1)));
    const dip = [...new Array(10).fill(-0.1), ...new Array(4).fill(-2), ...new Array(10).fill(-0.1)];
    // The worst window of 4 is the dip itself; of 8, the dip and 4 neighbours.
    assert.ok(close(sampleReliability(lps(dip), 4), Math.exp(-2)));
    assert.ok(close(sampleReliability(lps(dip), 8), Math.exp((-2 * 4 - 0.1 * 4) / 8)));
    assert.equal(sampleReliability(lps(new Array(10).fill(0)), 8), 0.999);
    assert.equal(sampleReliability(lps(new Array(10).fill(-30)), 8), 0.001);
    assert.ok(Number.isNaN(sampleReliability({ logprobs: [] }, 8)));
    assert.ok(Number.isNaN(sampleReliability({}, 8)));
  });
});

describe("cges strategy (scripted)", () => {
  test("confident agreement stops after the first round", async () => {
    const model = new ScriptedModel(() => sampled("5", -0.01));
    const result = await run(createStrategy("cges:n=40,batch=4"), { model });
    assert.equal(result.answer, "5");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.stopReason, "early-stop");
    assert.equal(model.requests.length, 1);
    assert.equal(model.requests[0]!.logprobs, true);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    for (const c of result.candidates) assert.ok(close(c.confidence!, Math.exp(-0.01)));
  });

  test("a confident minority wins over an unconfident majority, where sc would not", async () => {
    const script = [sampled("3", -0.05, true), sampled("3", -0.05, true), sampled("3", -0.05, true)];
    const model = () => new ScriptedModel((i) => script[i] ?? sampled("7", -0.02));
    const result = await run(createStrategy("cges:n=40,batch=4"), { model: model() });
    assert.equal(result.answer, "7");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.candidates[result.chosen]!.answer, "7");
    const sc = await run(createStrategy("sc:n=4"), { model: model() });
    assert.equal(sc.answer, "3");
  });

  test("an even split of middling confidence samples to n; the tie goes to the answer seen first", async () => {
    const model = new ScriptedModel((i) => sampled(i % 2 === 0 ? "1" : "2", -0.3));
    const result = await run(createStrategy("cges:n=12,batch=4"), { model });
    assert.equal(result.candidates.length, 12);
    assert.equal(result.stopReason, "completed");
    assert.equal(result.answer, "1");
  });

  test("a lower threshold or a higher collision stops sooner", async () => {
    const script = (i: number) => sampled(["1", "1", "2", "1"][i % 4]!, -0.15);
    const samplesWith = async (spec: string) =>
      (await run(createStrategy(spec), { model: new ScriptedModel(script) })).candidates.length;
    const strict = await samplesWith("cges:n=40,batch=2,threshold=0.999,collision=0.5");
    const loose = await samplesWith("cges:n=40,batch=2,threshold=0.9,collision=0.5");
    const spread = await samplesWith("cges:n=40,batch=2,threshold=0.999,collision=0.05");
    assert.ok(loose < strict, `${loose} < ${strict}`);
    assert.ok(spread < strict, `${spread} < ${strict}`);
  });

  test("no answers at all: samples to n, answer null", async () => {
    const model = new ScriptedModel(() => sampled(null, -0.01));
    const result = await run(createStrategy("cges:n=8,batch=4"), { model });
    assert.equal(result.candidates.length, 8);
    assert.equal(result.answer, null);
    assert.equal(result.chosen, -1);
  });

  test("the budget ends it between rounds with the posterior so far", async () => {
    const model = new ScriptedModel((i) => sampled(i % 2 === 0 ? "1" : "2", -0.3));
    const each = sampled("1", -0.3).text.length + 1;
    const result = await run(createStrategy("cges:n=40,batch=2"), {
      model,
      budget: { maxCompletionTokens: 2 * 2 * each },
    });
    assert.equal(result.stopReason, "budget");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.answer, "1");
  });

  test("an abort between rounds ends it with stopReason aborted", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel((i) => {
      if (i === 3) controller.abort();
      return sampled(i % 2 === 0 ? "1" : "2", -0.3);
    });
    const result = await run(createStrategy("cges:n=40,batch=2"), { model, signal: controller.signal });
    assert.equal(result.stopReason, "aborted");
    assert.ok(result.candidates.length <= 4);
  });

  test("needs logprobs, and refuses bad parameters", async () => {
    const model = new ScriptedModel(() => sampled("5", -0.01), { logprobs: false });
    await assert.rejects(run(createStrategy("cges"), { model }), CapabilityError);
    assert.throws(() => createStrategy("cges:collision=0"), ConfigError);
    assert.throws(() => createStrategy("cges:threshold=1"), ConfigError);
    assert.throws(() => createStrategy("cges:window=0"), ConfigError);
  });
});

describe("cges on the embedded model", () => {
  const policy = usePolicy(8);

  test("its samples are a prefix of sc's, its answer is the posterior's lead, and it never uses more", async () => {
    const [problem] = arithProblems(4, 1);
    const result = await runStrategy(createStrategy("cges:n=16,batch=4"), problem!, arithOptions(policy()));
    const sc = await runStrategy(createStrategy("sc:n=16"), problem!, arithOptions(policy()));
    const k = result.candidates.length;
    assert.ok(k >= 4 && k <= 16 && k % 4 === 0);
    assert.deepEqual(
      result.candidates.map((c) => c.text),
      sc.candidates.slice(0, k).map((c) => c.text),
    );
    assert.ok(result.usage.completionTokens <= sc.usage.completionTokens);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    for (const c of result.candidates) {
      assert.ok(c.confidence! >= 0.001 && c.confidence! <= 0.999, `${c.confidence}`);
      assert.equal(c.logprobs!.length > 0, true);
    }
    // The documented model, written out here: an answer's odds against the unseen answer are
    // Π r / ((1 − r) · 0.3) over its samples; its posterior is its odds over 1 + the sum of all odds.
    const odds = new Map<string, number>();
    for (const c of result.candidates) {
      if (c.answer === null) continue;
      const r = c.confidence!;
      odds.set(c.answer, (odds.get(c.answer) ?? 1) * (r / ((1 - r) * 0.3)));
    }
    const total = 1 + [...odds.values()].reduce((s, o) => s + o, 0);
    const lead = [...odds.entries()].reduce<[string, number] | null>(
      (best, e) => (best === null || e[1] > best[1] ? e : best),
      null,
    );
    assert.equal(result.answer, lead?.[0] ?? null);
    const root = result.trace.find((n) => n.parent === null)!;
    if (lead) assert.ok(Math.abs((root.meta!.probability as number) - lead[1] / total) < 1e-9);
    if (k < 16) {
      assert.equal(result.stopReason, "early-stop");
      assert.ok(lead![1] / total >= 0.95);
    }
  });
});
