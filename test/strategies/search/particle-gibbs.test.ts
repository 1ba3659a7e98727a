import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { particleSweep } from "../../../src/strategies/search/particle-filter.js";
import { particleGibbs } from "../../../src/strategies/search/particle-gibbs.js";
import { pathOf, type SearchNode } from "../../../src/strategies/search/tree.js";
import { assertSearchRun, runEmbedded } from "./e2e.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

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
      weights: "score" as const,
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

describe("particle Gibbs on the embedded model", () => {
  test("particle-gibbs: two sweeps, a reference path, the same structural guarantees", async () => {
    const result = await runEmbedded("particle-gibbs:n=4,sweeps=2");
    assertSearchRun(result);
    assert.ok(result.trace.some((n) => n.meta?.sweep === 2));
    assert.ok(result.trace.some((n) => n.meta?.reference === 2));
  });
});
