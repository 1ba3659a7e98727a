import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LanguageModel } from "../../src/core/model.js";
import { Rng } from "../../src/core/rng.js";
import type { StrategyEvent } from "../../src/core/strategy.js";
import {
  betaStopProbability,
  dirichletStopProbability,
  expectedVoteGain,
  majorityDecided,
} from "../../src/strategies/adaptive-consistency.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, run, ScriptedModel, solution } from "./fixtures.js";

const exact = (a: string, b: string) => a === b;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("stopping criteria", () => {
  test("Beta: P(Beta(a+1, b+1) > 1/2) in closed form", () => {
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;
    assert.ok(close(betaStopProbability(0, 0), 0.5));
    assert.ok(close(betaStopProbability(4, 0), 1 - 1 / 32));
    assert.ok(close(betaStopProbability(3, 0), 1 - 1 / 16));
    // Beta(3, 2): P(X > 1/2) = 11/16.
    assert.ok(close(betaStopProbability(2, 1), 11 / 16));
    // Symmetry: P(a beats b) + P(b beats a) = 1.
    assert.ok(Math.abs(betaStopProbability(5, 3) + betaStopProbability(3, 5) - 1) < 1e-12);
    assert.ok(betaStopProbability(9, 1) > betaStopProbability(5, 1));
    // Large counts stay finite.
    const big = betaStopProbability(2000, 1900);
    assert.ok(big > 0.9 && big <= 1);
  });
  test("Dirichlet with one seen answer matches Beta against the unseen one", () => {
    const rng = new Rng(1);
    const mc = dirichletStopProbability([4], rng, 20000);
    assert.ok(Math.abs(mc - betaStopProbability(4, 0)) < 0.01, `${mc}`);
    assert.ok(dirichletStopProbability([5, 5], new Rng(2)) < 0.6);
    assert.equal(dirichletStopProbability([], new Rng(3)), 0);
  });
  test("expected vote gain: near zero when decided, large when more samples would still decide", () => {
    const gain = (counts: number[], remaining: number) => expectedVoteGain(counts, remaining, new Rng(1));
    assert.ok(gain([20, 2], 42) < 0.005, "a decided vote gains nothing");
    assert.ok(gain([8], 56) < 0.01);
    assert.ok(gain([5, 3], 56) > 0.1, "5 against 3 can still turn");
    assert.ok(gain([12, 10], 42) > 0.1);
    assert.ok(gain([5, 3], 56) > gain([5, 3], 8), "fewer samples left, less to gain");
    assert.equal(gain([5, 3], 0), 0);
    assert.equal(gain([], 10), 1, "no answer yet: keep sampling");
    assert.equal(gain([5, 3], 56), gain([5, 3], 56), "seeded");
  });
  test("majorityDecided ignores missing answers and needs the threshold", () => {
    const list = (xs: (string | null)[]) => xs.map((answer) => ({ answer }));
    const settings = { criterion: "beta" as const, threshold: 0.95 };
    assert.equal(majorityDecided(list(["1", "1", "1", "1"]), exact, settings, new Rng(0)).decided, true);
    assert.equal(
      majorityDecided(list(["1", "1", "1", null, null]), exact, settings, new Rng(0)).decided,
      false,
    );
    assert.equal(majorityDecided(list([null, null]), exact, settings, new Rng(0)).decided, false);
    assert.equal(majorityDecided(list(["1", "2", "1", "2"]), exact, settings, new Rng(0)).decided, false);
  });
});

describe("adaptive-sc strategy (scripted)", () => {
  test("a unanimous start stops after the first round", async () => {
    const model = new ScriptedModel(() => solution("5"));
    const result = await run(createStrategy("adaptive-sc:n=40,batch=4"), { model });
    assert.equal(result.answer, "5");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.stopReason, "early-stop");
    assert.equal(model.requests.length, 1);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
  });

  test("an even split samples up to n and votes; ties go to the answer seen first", async () => {
    const model = new ScriptedModel((i) => solution(i % 2 === 0 ? "1" : "2"));
    const result = await run(createStrategy("adaptive-sc:n=12,batch=4"), { model });
    assert.equal(result.candidates.length, 12);
    assert.equal(result.stopReason, "completed");
    assert.equal(result.answer, "1");
  });

  test("a clear majority stops before n; the Dirichlet and gain criteria too", async () => {
    const answers = ["9", "9", "3", "9", "9", "9", "9", "9", "9", "9", "9", "9"];
    for (const criterion of ["beta", "dirichlet", "gain"]) {
      const model = new ScriptedModel((i) => solution(answers[i % answers.length]!));
      const result = await run(createStrategy(`adaptive-sc:n=40,batch=2,criterion=${criterion}`), { model });
      assert.equal(result.answer, "9");
      assert.equal(result.stopReason, "early-stop");
      assert.ok(
        result.candidates.length < 40 && result.candidates.length >= 6,
        `${result.candidates.length}`,
      );
    }
  });

  test("emits one candidate event per sample and a progress event per round", async () => {
    const events: StrategyEvent[] = [];
    const model = new ScriptedModel((i) => solution(i % 2 === 0 ? "1" : "2"));
    const result = await run(createStrategy("adaptive-sc:n=8,batch=4"), {
      model,
      onEvent: (e) => events.push(e),
    });
    const candidates = events.filter((e) => e.type === "candidate");
    assert.deepEqual(
      candidates.map((e) => e.index),
      result.candidates.map((_, i) => i),
    );
    const progress = events.filter((e) => e.type === "progress");
    assert.equal(progress.length, 2);
    assert.equal(progress.at(-1)!.completionTokens, result.usage.completionTokens);
  });

  test("no answers at all: samples to n, answer null", async () => {
    const model = new ScriptedModel(() => solution(null));
    const result = await run(createStrategy("adaptive-sc:n=8,batch=4"), { model });
    assert.equal(result.candidates.length, 8);
    assert.equal(result.answer, null);
    assert.equal(result.chosen, -1);
  });

  test("the budget ends it between rounds with the vote so far", async () => {
    const model = new ScriptedModel((i) => solution(i % 2 === 0 ? "1" : "2"));
    // Each sample costs 11 tokens: two rounds of 2 fit, the third does not.
    const result = await run(createStrategy("adaptive-sc:n=40,batch=2"), {
      model,
      budget: { maxCompletionTokens: 44 },
    });
    assert.equal(result.stopReason, "budget");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.answer, "1");
    assert.ok(result.usage.completionTokens <= 44);
  });

  test("an abort between rounds ends it with stopReason aborted", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel((i) => {
      if (i === 3) controller.abort();
      return solution(i % 2 === 0 ? "1" : "2");
    });
    const result = await run(createStrategy("adaptive-sc:n=40,batch=2"), {
      model,
      signal: controller.signal,
    });
    assert.equal(result.stopReason, "aborted");
    assert.ok(result.candidates.length <= 4);
  });
});

describe("the wall-time budget (maxWallMs)", () => {
  test("a run past maxWallMs ends between rounds with stopReason budget and the vote so far", async () => {
    // Every request takes 150 ms; the limit of 200 ms lets one or two rounds of 4 start, never more,
    // while adaptive-sc on an even split would otherwise sample all 40.
    const scripted = new ScriptedModel((i) => solution(i % 2 === 0 ? "1" : "2"));
    const slow: LanguageModel = {
      id: scripted.id,
      capabilities: scripted.capabilities,
      async complete(request) {
        await sleep(150);
        return scripted.complete(request);
      },
      close: async () => {},
    };
    const result = await run(createStrategy("adaptive-sc:n=40,batch=4"), {
      model: slow,
      budget: { maxWallMs: 200 },
    });
    assert.equal(result.stopReason, "budget");
    const k = result.candidates.length;
    assert.ok(k === 4 || k === 8, `${k} samples`);
    assert.equal(result.answer, "1", "the tie goes to the answer seen first");
    assert.ok(result.usage.wallMs >= 200);
  });
});

describe("adaptive-sc on the embedded model", () => {
  const policy = usePolicy(8);

  test("its samples are a prefix of sc's under the same run seed, and it never uses more", async () => {
    const [problem] = arithProblems(4, 1);
    const adaptive = await runStrategy(
      createStrategy("adaptive-sc:n=16,batch=4"),
      problem!,
      arithOptions(policy()),
    );
    const sc = await runStrategy(createStrategy("sc:n=16"), problem!, arithOptions(policy()));
    const k = adaptive.candidates.length;
    assert.ok(k >= 4 && k <= 16 && k % 4 === 0);
    assert.deepEqual(
      adaptive.candidates.map((c) => c.text),
      sc.candidates.slice(0, k).map((c) => c.text),
    );
    assert.ok(adaptive.usage.completionTokens <= sc.usage.completionTokens);
    assert.equal(adaptive.usage.completionTokens, candidateTokens(adaptive));
    if (k < 16) assert.equal(adaptive.stopReason, "early-stop");
  });
});
