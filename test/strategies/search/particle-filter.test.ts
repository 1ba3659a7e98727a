import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BudgetExhaustedError, ConfigError } from "../../../src/core/errors.js";
import { Rng } from "../../../src/core/rng.js";
import { createStrategy } from "../../../src/strategies/registry.js";
import {
  LOGIT_EPSILON,
  multinomialResample,
  particleFilter,
  particleWeights,
  systematicResample,
} from "../../../src/strategies/search/particle-filter.js";
import { softmax } from "../../../src/strategies/search/search.js";
import type { ExpandRequest, Step, StepGenerator } from "../../../src/strategies/search/steps.js";
import { assertSearchRun, runEmbedded } from "./e2e.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

const WEIGHTS = [0.5, 0.25, 0.15, 0.07, 0.03];

function counts(indices: readonly number[], size: number): number[] {
  const c = new Array<number>(size).fill(0);
  for (const i of indices) c[i]!++;
  return c;
}

describe("resampling", () => {
  const draws = 100_000;

  test("multinomial: 100k draws match the weights (χ² and per index)", () => {
    const c = counts(multinomialResample(WEIGHTS, draws, new Rng(7)), WEIGHTS.length);
    // Pearson's χ² with 4 degrees of freedom; 18.47 is its 0.999 quantile.
    const chi2 = WEIGHTS.reduce((s, w, i) => s + (c[i]! - draws * w) ** 2 / (draws * w), 0);
    assert.ok(chi2 < 18.47, `χ² = ${chi2}`);
    // Each share within 5 standard deviations of its weight (σ = √(w(1−w)/draws) ≤ 0.0016).
    WEIGHTS.forEach((w, i) => {
      const sigma = Math.sqrt((w * (1 - w)) / draws);
      assert.ok(Math.abs(c[i]! / draws - w) < 5 * sigma, `index ${i}: ${c[i]! / draws} vs ${w}`);
    });
  });

  test("systematic: every count is within ±1 of n·w (one draw of 100k, and many of 7)", () => {
    const c = counts(systematicResample(WEIGHTS, draws, new Rng(7)), WEIGHTS.length);
    WEIGHTS.forEach((w, i) => {
      assert.ok(Math.abs(c[i]! - draws * w) <= 1, `index ${i}: ${c[i]}`);
    });
    // Small n: each call's count is ⌊7w⌋ or ⌈7w⌉, and the counts average 7w (unbiased). A count
    // varies by at most ±1 around 7w, so over R calls its mean is within 5·0.5/√R of 7w.
    const rng = new Rng(11);
    const calls = 20_000;
    const total = new Array<number>(WEIGHTS.length).fill(0);
    for (let r = 0; r < calls; r++) {
      const picks = systematicResample(WEIGHTS, 7, rng);
      assert.deepEqual(
        picks,
        [...picks].sort((a, b) => a - b),
        "ascending",
      );
      counts(picks, WEIGHTS.length).forEach((k, i) => {
        assert.ok(
          k === Math.floor(7 * WEIGHTS[i]!) || k === Math.ceil(7 * WEIGHTS[i]!),
          `count ${k} of ${i}`,
        );
        total[i]! += k;
      });
    }
    WEIGHTS.forEach((w, i) => {
      const mean = total[i]! / calls;
      assert.ok(
        Math.abs(mean - 7 * w) < (5 * 0.5) / Math.sqrt(calls),
        `index ${i}: mean ${mean} vs ${7 * w}`,
      );
    });
  });

  test("zero, negative and NaN weights are never drawn; all-zero weights are uniform", () => {
    const weights = [0, 0.6, Number.NaN, 0.4, -1, 0];
    for (const resample of [multinomialResample, systematicResample]) {
      const c = counts(resample(weights, 10_000, new Rng(3)), weights.length);
      assert.deepEqual([c[0], c[2], c[4], c[5]], [0, 0, 0, 0]);
      assert.equal(c[1]! + c[3]!, 10_000);
      assert.deepEqual(counts(systematicResample([0, 0, 0, 0], 8, new Rng(1)), 4), [2, 2, 2, 2]);
      assert.deepEqual(resample([1], 3, new Rng(1)), [0, 0, 0]);
    }
  });
});

describe("particle weights: softmax temperature", () => {
  test("the weight ratio of two scores is e^(Δ/T)", () => {
    for (const t of [0.1, 0.5, 1, 4]) {
      const [a, b] = softmax([0.9, 0.4], t);
      assert.ok(Math.abs(a! / b! - Math.exp(0.5 / t)) < 1e-9);
      assert.ok(Math.abs(a! + b! - 1) < 1e-12);
    }
  });
  test("a low temperature is nearly argmax, a high one nearly uniform; NaN weighs 0", () => {
    const cold = softmax([0.2, 0.9, 0.5], 0.01);
    assert.ok(cold[1]! > 0.999);
    const hot = softmax([0.2, 0.9, 0.5], 1000);
    for (const w of hot) assert.ok(Math.abs(w - 1 / 3) < 1e-3);
    assert.deepEqual(softmax([Number.NaN, 0.5], 1), [0, 1]);
  });
});

/**
 * Two branches: g (PRM 0.9 at every step) ends in A:1, b (0.1) in A:2, both after three steps. The
 * root's request for N samples gets g and b alternately.
 */
const BRANCHES = {
  steps: {
    "": ["g1\n", "b1\n"],
    "g1\n": ["g2\n"],
    "b1\n": ["b2\n"],
    "g1\ng2\n": ["A:1\n"],
    "b1\nb2\n": ["A:2\n"],
  },
  scores: {
    "g1\n": 0.9,
    "g1\ng2\n": 0.9,
    "g1\ng2\nA:1\n": 0.9,
    "b1\n": 0.1,
    "b1\nb2\n": 0.1,
    "b1\nb2\nA:2\n": 0.1,
  },
};

/** Weights from raw scores: the arithmetic of the tests below is softmax(score / T). */
const pf = (extra: object = {}) =>
  settings({
    n: 8,
    weights: "score" as const,
    weightTemperature: 0.05,
    resampling: "systematic" as const,
    ...extra,
  });

const statuses = (search: ReturnType<typeof scriptedSearch>, text: string) =>
  search.tree.nodes.filter((n) => n.text === text).map((n) => search.trace.nodes[n.id]!);

describe("particle filter (scripted)", () => {
  for (const resampling of ["systematic", "multinomial"] as const) {
    test(`${resampling}: the particles concentrate on the high-scoring branch`, async () => {
      const generator = new ScriptedSteps(BRANCHES.steps);
      const search = scriptedSearch(generator, new ScriptedScores(BRANCHES.scores));
      const result = await particleFilter(pf({ resampling }), search);
      assert.equal(result.stopReason, "completed");
      // Weight of a b particle: e^(−0.8/0.05) ≈ 1e-7 of a g particle's: no b survives.
      assert.ok(result.finals.length > 0);
      for (const node of result.finals) assert.equal(node.text, "g1\ng2\nA:1\n");
      const total = result.weights!.reduce((s, w) => s + w, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, "the final weights are normalized");
      // Round 1: one request of N at the root. Every b node is pruned at the first resampling.
      assert.deepEqual(generator.requests[0] && [generator.requests[0].from.text, generator.requests[0].n], [
        "",
        8,
      ]);
      const b1 = statuses(search, "b1\n");
      assert.equal(b1.length, 4);
      for (const node of b1) assert.equal(node.status, "pruned");
      // The 8 particles were drawn among the 4 g1 nodes: those drawn several times are `resampled`
      // (with their copies), those drawn once `expanded`; the copies add up to N.
      const g1 = statuses(search, "g1\n");
      let copies = 0;
      for (const node of g1) {
        const k = (node.meta?.copies as number | undefined) ?? 0;
        copies += k;
        assert.equal(node.status, k === 0 ? "pruned" : k === 1 ? "expanded" : "resampled");
      }
      assert.equal(copies, 8);
      // Round 2 asked each surviving g1 node for as many steps as it had particles.
      const round2 = generator.requests.filter((r) => r.from.text === "g1\n");
      assert.equal(
        round2.reduce((s, r) => s + r.n, 0),
        8,
      );
      assert.ok(round2.every((r) => r.n >= 1));
      // Nothing is asked of b after round 1; finished particles are never extended.
      assert.ok(generator.requests.every((r) => !r.from.text.startsWith("b") && !r.from.text.includes("A:")));
      // Weights are recorded: a node's weight is its particles' summed weight.
      for (const node of result.finals) {
        const weight = search.trace.nodes[node.id]!.meta?.weight as number;
        assert.ok(Math.abs(weight - result.weights![result.finals.indexOf(node)]!) < 1e-12);
      }
    });
  }

  test("a high weight temperature keeps the low-scoring branch alive", async () => {
    const search = scriptedSearch(new ScriptedSteps(BRANCHES.steps), new ScriptedScores(BRANCHES.scores));
    const result = await particleFilter(pf({ weightTemperature: 100 }), search);
    // Nearly uniform weights: systematic resampling keeps every particle once.
    const texts = result.finals.map((n) => n.text);
    assert.equal(texts.filter((t) => t.startsWith("b")).length, 4);
    assert.equal(texts.filter((t) => t.startsWith("g")).length, 4);
    // The g particles still weigh more.
    const [g, b] = ["g", "b"].map((p) =>
      result.finals.reduce((s, n, i) => s + (n.text.startsWith(p) ? result.weights![i]! : 0), 0),
    );
    assert.ok(g! > b!);
  });

  test("finished particles keep their score and weight in resampling but are not extended", async () => {
    // The root offers an immediate answer A:7 (0.8) and a g branch (0.9) that takes three steps.
    const steps = { "": ["A:7\n", "g1\n"], "g1\n": ["g2\n"], "g1\ng2\n": ["A:1\n"] };
    const scores = { "A:7\n": 0.8, "g1\n": 0.9, "g1\ng2\n": 0.9, "g1\ng2\nA:1\n": 0.9 };
    const generator = new ScriptedSteps(steps);
    const search = scriptedSearch(generator, new ScriptedScores(scores));
    const result = await particleFilter(pf({ n: 4, weightTemperature: 1 }), search);
    // Requests: the root, then only the g branch; never the finished A:7.
    assert.equal(generator.requests[0]!.from.text, "");
    for (const r of generator.requests.slice(1)) assert.ok(["g1\n", "g1\ng2\n"].includes(r.from.text));
    // Nearly uniform weights (T = 1): both answers survive to the end; A:7 was weighed in every round
    // with its first score, and it has no children.
    const answers = result.finals.map((n) => n.text);
    assert.ok(answers.includes("A:7\n"));
    assert.ok(answers.includes("g1\ng2\nA:1\n"));
    const a7 = result.finals.filter((n) => n.text === "A:7\n");
    for (const node of a7) {
      assert.equal(node.score, 0.8);
      assert.ok(search.tree.nodes.every((n) => n.parent !== node));
    }
    // Final weights: the softmax of the four particles' scores (T = 1), summed per node: each node's
    // weight is a whole number of particles times e^score / Z.
    // So k = 4·(weight / e^score) / Σ(weight / e^score) must be a whole number for every node.
    const perParticle = result.finals.map((n, i) => result.weights![i]! / Math.exp(n.score!));
    const sum = perParticle.reduce((x, y) => x + y, 0);
    for (const p of perParticle) {
      const k = (4 * p) / sum;
      assert.ok(k > 0.5 && Math.abs(k - Math.round(k)) < 1e-9, `${k} particles on a node`);
    }
    const total = result.weights!.reduce((s, w) => s + w, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
    // Three rounds, the last ending with every particle finished (no resampling after it).
    assert.equal(search.messages.length, 3);
    assert.match(search.messages[2]!, /4\/4 particles finished/);
  });

  test("maxSteps: only complete particles are solutions; the unfinished stay on the frontier", async () => {
    const steps = { "": ["A:7\n", "g1\n"], "g1\n": ["g2\n"], "g1\ng2\n": ["A:1\n"] };
    const search = scriptedSearch(
      new ScriptedSteps(steps),
      new ScriptedScores({ "A:7\n": 0.8, "g1\n": 0.9 }),
    );
    const result = await particleFilter(pf({ n: 4, weightTemperature: 1, maxSteps: 1 }), search);
    assert.equal(result.stopReason, "completed");
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["A:7\n", "A:7\n"],
    );
    for (const node of statuses(search, "g1\n")) assert.equal(node.status, "candidate");
  });

  test("a halt ends the filter: stop reason, nothing generated after, unfinished particles left", async () => {
    const generator = new ScriptedSteps(BRANCHES.steps);
    let rounds = 0;
    const search = scriptedSearch(generator, new ScriptedScores(BRANCHES.scores), {
      halt: () => (++rounds > 2 ? "budget" : null),
    });
    const result = await particleFilter(pf(), search);
    assert.equal(result.stopReason, "budget");
    assert.equal(generator.requests.filter((r) => r.from.text === "g1\ng2\n").length, 0);
    // No particle completed: no solution. The particles after two steps are the frontier: drawn
    // once (candidate) or more (resampled) at the last resampling, or pruned by it.
    assert.deepEqual(result.finals, []);
    const frontier = statuses(search, "g1\ng2\n").filter((n) => n.status !== "pruned");
    assert.ok(frontier.length > 0);
    for (const node of frontier) assert.ok(node.status === "candidate" || node.status === "resampled");
  });

  test("a budget error from the generator ends the filter with stopReason budget", async () => {
    const scripted = new ScriptedSteps(BRANCHES.steps);
    let calls = 0;
    const generator: StepGenerator = {
      expand(requests: readonly ExpandRequest[]): Promise<Step[][]> {
        if (++calls > 1) throw new BudgetExhaustedError("spent");
        return scripted.expand(requests);
      },
    };
    const search = scriptedSearch(generator, new ScriptedScores(BRANCHES.scores));
    const result = await particleFilter(pf(), search);
    assert.equal(result.stopReason, "budget");
    assert.deepEqual(result.finals, []);
    assert.equal(search.tree.nodes.length, 1 + 8, "the root and round 1's steps");
  });

  test("halted before the first step: no solutions", async () => {
    const search = scriptedSearch(new ScriptedSteps(BRANCHES.steps), new ScriptedScores(BRANCHES.scores), {
      halt: () => "aborted",
    });
    const result = await particleFilter(pf(), search);
    assert.equal(result.stopReason, "aborted");
    assert.deepEqual(result.finals, []);
  });
});

describe("particle weights: logit (the default) and score", () => {
  test("logit weights are proportional to the odds p/(1−p) at T = 1, to (odds)^(1/T) otherwise", () => {
    const scores = [0.9, 0.5, 0.2];
    const odds = scores.map((p) => p / (1 - p));
    for (const t of [0.5, 1, 2]) {
      const w = particleWeights(scores, "logit", t);
      const z = odds.reduce((s, o) => s + o ** (1 / t), 0);
      w.forEach((x, i) => {
        assert.ok(Math.abs(x - odds[i]! ** (1 / t) / z) < 1e-12, `T=${t}, ${i}`);
      });
    }
    // Score weights are the plain softmax: 0.9 against 0.2 weighs e^0.7 ≈ 2 times, logit 36 times.
    const [hi, , lo] = particleWeights(scores, "score", 1);
    assert.ok(Math.abs(hi! / lo! - Math.exp(0.7)) < 1e-9);
    const [lhi, , llo] = particleWeights(scores, "logit", 1);
    assert.ok(Math.abs(lhi! / llo! - 36) < 1e-9);
  });

  test("certain scores (0 or 1) give finite weights; NaN weighs 0; a score outside [0, 1] is an error", () => {
    const w = particleWeights([1, 0, Number.NaN], "logit", 1);
    assert.ok(w.every((x) => Number.isFinite(x)));
    const odds = (1 - LOGIT_EPSILON) / LOGIT_EPSILON;
    assert.ok(Math.abs(w[0]! / w[1]! - odds * odds) / (odds * odds) < 1e-6);
    assert.equal(w[2], 0);
    assert.throws(() => particleWeights([0.5, 1.5], "logit", 1), ConfigError);
    assert.throws(() => particleWeights([-0.1], "logit", 1), /weights=score/);
    assert.doesNotThrow(() => particleWeights([0.5, 1.5], "score", 1));
  });

  test("the filter weighs its particles by odds or by score as set", async () => {
    // BRANCHES at T = 1: in round 1 each b1 particle weighs 0.1/0.9 against 0.9/0.1 by odds (1/81),
    // e^(0.1 − 0.9) by score. Each first-step node holds one particle and is weighed only then.
    for (const [weights, ratio] of [
      ["logit", 1 / 81],
      ["score", Math.exp(-0.8)],
    ] as const) {
      const search = scriptedSearch(new ScriptedSteps(BRANCHES.steps), new ScriptedScores(BRANCHES.scores));
      await particleFilter(pf({ weights, weightTemperature: 1 }), search);
      const weightOf = (text: string) => statuses(search, text)[0]!.meta?.weight as number;
      assert.ok(Math.abs(weightOf("b1\n") / weightOf("g1\n") - ratio) < 1e-9, weights);
      assert.ok(Math.abs(4 * weightOf("b1\n") + 4 * weightOf("g1\n") - 1) < 1e-9);
    }
  });
});

describe("particle strategies: registry", () => {
  test("specs parse with their defaults; particle-gibbs needs two particles", () => {
    assert.match(createStrategy("particle-filter").spec, /^particle-filter/);
    assert.match(
      createStrategy("pf:n=4,resampling=multinomial,weightTemperature=0.2").spec,
      /particle-filter|pf/,
    );
    assert.match(createStrategy("particle-gibbs:sweeps=3,pool=last").spec, /particle-gibbs/);
    assert.throws(() => createStrategy("particle-gibbs:n=1"));
    assert.throws(() => createStrategy("particle-filter:resampling=stratified"));
    assert.throws(() => createStrategy("particle-filter:weightTemperature=0"));
    assert.throws(() => createStrategy("particle-filter:weights=softmax"));
    // The default weighting is the log-odds; the raw scores on request.
    assert.match(createStrategy("particle-filter").spec, /weights=logit/);
    assert.match(createStrategy("pg:weights=score").spec, /weights=score/);
  });
});

describe("particle strategies on the embedded model", () => {
  test("particle-filter: complete, extracted, exact usage, sound trace; weights recorded", async () => {
    const result = await runEmbedded("particle-filter:n=8");
    assertSearchRun(result);
    // Every step was a particle when it was generated, and was weighted then.
    for (const node of result.trace.slice(1)) assert.equal(typeof node.meta?.weight, "number");
  });
});
