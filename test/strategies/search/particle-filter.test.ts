import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BudgetExhaustedError } from "../../../src/core/errors.js";
import { Rng } from "../../../src/core/rng.js";
import { createStrategy } from "../../../src/strategies/registry.js";
import {
  multinomialResample,
  particleFilter,
  particleSweep,
  systematicResample,
} from "../../../src/strategies/search/particle-filter.js";
import { particleGibbs } from "../../../src/strategies/search/particle-gibbs.js";
import { softmax } from "../../../src/strategies/search/search.js";
import type { ExpandRequest, Step, StepGenerator } from "../../../src/strategies/search/steps.js";
import { pathOf, type SearchNode } from "../../../src/strategies/search/tree.js";
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

const pf = (extra: object = {}) =>
  settings({ n: 8, weightTemperature: 0.05, resampling: "systematic" as const, ...extra });

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

/**
 * Three answers of mixed quality, random picks (the option is chosen by the request's seed), so the
 * sweeps differ.
 */
const MIXED = {
  steps: {
    "": ["a1\n", "b1\n", "c1\n"],
    "a1\n": ["a2\n", "b2\n"],
    "b1\n": ["b2\n", "c2\n"],
    "c1\n": ["c2\n"],
    "a1\na2\n": ["A:1\n"],
    "a1\nb2\n": ["A:2\n"],
    "b1\nb2\n": ["A:2\n"],
    "b1\nc2\n": ["A:3\n"],
    "c1\nc2\n": ["A:3\n"],
  },
  scores: { "a1\n": 0.7, "b1\n": 0.5, "c1\n": 0.3, "a1\na2\n": 0.8, "a1\nb2\n": 0.4, "b1\nb2\n": 0.5 },
};
const randomPick = (_prefix: string, i: number, seed: number) => seed + i;

describe("particle Gibbs (scripted)", () => {
  const pg = (extra: object = {}) =>
    settings({
      n: 4,
      weightTemperature: 0.5,
      resampling: "multinomial" as const,
      sweeps: 2,
      pool: "all" as const,
      ...extra,
    });

  test("a conditioned sweep keeps the reference path and generates only for N−1 particles", async () => {
    const generator = new ScriptedSteps(MIXED.steps, randomPick);
    const search = scriptedSearch(generator, new ScriptedScores(MIXED.scores), { seed: 4 });
    const first = await particleSweep(pg(), search, { sweep: 1 });
    const reference = first.particles[0]!;
    assert.ok(reference.done);
    const path = pathOf(reference);
    const nodesBefore = search.tree.nodes.length;
    const requestsBefore = generator.requests.length;
    const second = await particleSweep(pg(), search, { reference, sweep: 2 });
    assert.equal(second.stopReason, "completed");
    // The reference is the last particle of the conditioned sweep, unchanged.
    assert.equal(second.particles.length, 4);
    assert.equal(second.particles.at(-1), reference);
    // Round 1 asked the root for N−1 = 3 steps; the reference's step was not generated again.
    const round1 = generator.requests.slice(requestsBefore).filter((r) => r.from.text === "");
    assert.equal(
      round1.reduce((s, r) => s + r.n, 0),
      3,
    );
    // The path's nodes are the earlier sweep's; new nodes belong to sweep 2.
    const added = search.tree.nodes.slice(nodesBefore);
    for (const node of path) assert.ok(!added.includes(node));
    for (const node of added) assert.equal(search.trace.nodes[node.id]!.meta?.sweep, 2);
    // One new node per generated sample: nothing was generated for the reference.
    assert.equal(
      added.length,
      generator.requests.slice(requestsBefore).reduce((s, r) => s + r.n, 0),
    );
  });

  test("particleGibbs: the reference of sweep 2 survives it; pool=all votes over both sweeps", async () => {
    const generator = new ScriptedSteps(MIXED.steps, randomPick);
    const search = scriptedSearch(generator, new ScriptedScores(MIXED.scores), { seed: 9 });
    const result = await particleGibbs(pg({ sweeps: 3 }), search);
    assert.equal(result.stopReason, "completed");
    const meta = (n: SearchNode) => search.trace.nodes[n.id]!.meta ?? {};
    // The last sweep's reference is marked along its whole path, and its final node is a solution.
    const last = search.tree.nodes.filter((n) => meta(n).reference === 3 && n.done);
    assert.equal(last.length, 1);
    assert.ok(result.finals.includes(last[0]!));
    for (const node of pathOf(last[0]!)) assert.equal(meta(node).reference, 3);
    // Solutions come from all sweeps; weights (each sweep's summing to 1, averaged) sum to 1.
    const sweeps = new Set(result.finals.map((n) => meta(n).sweep));
    assert.ok(sweeps.size >= 2, `solutions from sweeps ${[...sweeps]}`);
    const total = result.weights!.reduce((s, w) => s + w, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
    // Each sweep starts N−1 (or N, the first) particles at the root.
    const rootAsks = generator.requests.filter((r) => r.from.text === "").map((r) => r.n);
    assert.deepEqual(rootAsks, [4, 3, 3]);
  });

  test("pool=last answers from the last sweep only", async () => {
    const search = scriptedSearch(
      new ScriptedSteps(MIXED.steps, randomPick),
      new ScriptedScores(MIXED.scores),
      {
        seed: 9,
      },
    );
    const result = await particleGibbs(pg({ pool: "last" }), search);
    const meta = (n: SearchNode) => search.trace.nodes[n.id]!.meta ?? {};
    for (const node of result.finals) {
      // New in sweep 2, or the reference kept from sweep 1.
      assert.ok(meta(node).sweep === 2 || meta(node).reference === 2, JSON.stringify(meta(node)));
    }
    assert.ok(result.finals.some((n) => meta(n).reference === 2));
  });

  test("a halt in a later sweep ends the run with the sweeps so far", async () => {
    const generator = new ScriptedSteps(MIXED.steps, randomPick);
    let rounds = 0;
    const search = scriptedSearch(generator, new ScriptedScores(MIXED.scores), {
      seed: 9,
      halt: () => (++rounds > 4 ? "budget" : null),
    });
    const result = await particleGibbs(pg({ sweeps: 5 }), search);
    assert.equal(result.stopReason, "budget");
    // Sweep 1 took 3 rounds, sweep 2 one before the halt; sweeps 3–5 never ran.
    assert.deepEqual(
      generator.requests.filter((r) => r.from.text === "").map((r) => r.n),
      [4, 3],
    );
    assert.ok(result.finals.length > 0);
    assert.ok(
      result.finals.every((n) => n.done),
      "sweep 1's complete solutions win over sweep 2's partial ones",
    );
  });

  test("a halt right at the start of a sweep: pool=last answers from the sweep before", async () => {
    let rounds = 0;
    const search = scriptedSearch(
      new ScriptedSteps(MIXED.steps, randomPick),
      new ScriptedScores(MIXED.scores),
      {
        seed: 9,
        halt: () => (++rounds > 3 ? "aborted" : null),
      },
    );
    const result = await particleGibbs(pg({ pool: "last" }), search);
    assert.equal(result.stopReason, "aborted");
    assert.ok(result.finals.length > 0);
    for (const node of result.finals) assert.equal(search.trace.nodes[node.id]!.meta?.sweep, 1);
    const total = result.weights!.reduce((s, w) => s + w, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
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
  });
});

describe("particle strategies on the embedded model", () => {
  test("particle-filter: complete, extracted, exact usage, sound trace; weights recorded", async () => {
    const result = await runEmbedded("particle-filter:n=8");
    assertSearchRun(result);
    // Every step was a particle when it was generated, and was weighted then.
    for (const node of result.trace.slice(1)) assert.equal(typeof node.meta?.weight, "number");
  });

  test("particle-gibbs: two sweeps, a reference path, the same structural guarantees", async () => {
    const result = await runEmbedded("particle-gibbs:n=4,sweeps=2");
    assertSearchRun(result);
    assert.ok(result.trace.some((n) => n.meta?.sweep === 2));
    assert.ok(result.trace.some((n) => n.meta?.reference === 2));
  });
});
