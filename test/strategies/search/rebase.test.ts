import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../../src/core/rng.js";
import { rebase, rebaseAllocation } from "../../../src/strategies/search/rebase.js";
import { softmax } from "../../../src/strategies/search/search.js";
import { assertSearchRun, runEmbedded } from "./e2e.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

describe("rebaseAllocation", () => {
  test("largest remainder: the widths always add up to W", () => {
    // Thirds of 10: quotas 3.33 each; plain rounding would give 9. The spare unit goes to the first.
    assert.deepEqual(rebaseAllocation([0.5, 0.5, 0.5], 10, 0.1), [4, 3, 3]);
    // Halves of 5: plain rounding would give 6.
    assert.deepEqual(rebaseAllocation([0.2, 0.2], 5, 1), [3, 2]);
    // softmax([ln 3, 0]) = [3/4, 1/4] exactly: 8 → 6 + 2.
    assert.deepEqual(rebaseAllocation([Math.log(3), 0], 8, 1), [6, 2]);
    // T = 0.2: softmax([0.9, 0.5, 0.1] / 0.2) = [0.8668, 0.1173, 0.0159] → quotas 8.67, 1.17, 0.16 →
    // floors 8, 1, 0 and the spare unit to the largest remainder (0.67).
    assert.deepEqual(rebaseAllocation([0.9, 0.5, 0.1], 10, 0.2), [9, 1, 0]);
    // T = 0.1 concentrates everything on the best.
    assert.deepEqual(rebaseAllocation([0.9, 0.5, 0.1], 10, 0.1), [10, 0, 0]);
  });

  test("NaN rewards get nothing unless all are NaN; empty and zero width", () => {
    assert.deepEqual(rebaseAllocation([Number.NaN, 0.5], 4, 0.1), [0, 4]);
    assert.deepEqual(rebaseAllocation([Number.NaN, Number.NaN], 3, 0.1), [2, 1]);
    assert.deepEqual(rebaseAllocation([], 4, 0.1), []);
    assert.deepEqual(rebaseAllocation([0.3, 0.7], 0, 0.1), [0, 0]);
  });

  test("sums and proportions on random rewards", () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const rewards = Array.from({ length: 1 + rng.int(12) }, () => rng.next());
      const width = rng.int(65);
      const temperature = [0.05, 0.1, 0.5, 1][rng.int(4)]!;
      const widths = rebaseAllocation(rewards, width, temperature);
      assert.equal(
        widths.reduce((s, w) => s + w, 0),
        width,
      );
      const p = softmax(rewards, temperature);
      widths.forEach((w, i) => {
        assert.ok(Number.isInteger(w) && w >= 0);
        assert.ok(Math.abs(w - width * p[i]!) < 1, "within one of the exact quota");
      });
    }
  });
});

/**
 * The step tree: the root offers x (0.9), y (0.5) and the answer A:0 (0.1); a request for 4 samples
 * gets x, y, A:0, x. x leads to A:1 (0.8) or z (0.6), z to A:3; y to A:2 (0.3).
 */
const STEPS = { "": ["x\n", "y\n", "A:0\n"], "x\n": ["A:1\n", "z\n"], "y\n": ["A:2\n"], "x\nz\n": ["A:3\n"] };
const SCORES = { "x\n": 0.9, "y\n": 0.5, "A:0\n": 0.1, "x\nA:1\n": 0.8, "x\nz\n": 0.6, "y\nA:2\n": 0.3 };

describe("rebase (scripted)", () => {
  test("depth by depth: completions take width, the rest is shared by softmax of the scores", async () => {
    /*
     * depth 0: root → x, y, A:0, x. A:0 is complete: W = 4 − 1 = 3. The repeated x is dropped;
     *          T = 1: softmax([0.9, 0.5]) = [0.599, 0.401] → quotas 1.80, 1.20 → 1 + 1, spare to x → [2, 1].
     * depth 1: x → A:1, z; y → A:2. Two complete: W = 1, all to z.
     * depth 2: z → A:3, complete: W = 0, the search ends with W complete solutions.
     */
    const generator = new ScriptedSteps(STEPS);
    const search = scriptedSearch(generator, new ScriptedScores(SCORES));
    const result = await rebase(settings({ n: 4, balanceTemperature: 1 }), search);
    assert.equal(result.stopReason, "completed");
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 4],
        ["x\n", 2],
        ["y\n", 1],
        ["x\nz\n", 1],
      ],
    );
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["A:0\n", "x\nA:1\n", "y\nA:2\n", "x\nz\nA:3\n"],
    );
    const meta = (text: string) =>
      search.trace.nodes.find((n) => search.tree.nodes[n.id]!.text === text)!.meta;
    assert.equal(meta("x\n")?.width, 2);
    assert.equal(meta("y\n")?.width, 1);
    assert.equal(search.trace.nodes.filter((n) => n.meta?.duplicate).length, 1);
  });

  test("a low temperature gives all the width to the best node and prunes the rest", async () => {
    // T = 0.1: softmax([9, 5]) = [0.982, 0.018] → quotas 2.95, 0.05 → [3, 0]: y is pruned.
    const generator = new ScriptedSteps(STEPS);
    const search = scriptedSearch(generator, new ScriptedScores(SCORES));
    const result = await rebase(settings({ n: 4, balanceTemperature: 0.1 }), search);
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 4],
        ["x\n", 3],
        ["x\nz\n", 1],
      ],
    );
    const y = search.tree.nodes.find((n) => n.text === "y\n")!;
    assert.equal(search.trace.nodes[y.id]!.status, "pruned");
    // x → A:1, z, A:1: two complete (the repeat too: it was sampled and takes width), then z → A:3.
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["A:0\n", "x\nA:1\n", "x\nA:1\n", "x\nz\nA:3\n"],
    );
  });

  test("maxSteps ends the search with open nodes left", async () => {
    const generator = new ScriptedSteps(STEPS);
    const search = scriptedSearch(generator, new ScriptedScores(SCORES));
    const result = await rebase(settings({ n: 4, balanceTemperature: 1, maxSteps: 1 }), search);
    assert.equal(generator.requests.length, 1);
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["A:0\n"],
    );
  });
});

describe("rebase (embedded policy and PRM)", () => {
  test("rebase:n=6 runs end to end", async () => {
    const result = await runEmbedded("rebase:n=6,stepTokens=32");
    assertSearchRun(result);
    assert.ok(result.candidates.length <= 6, "never more than W complete solutions");
    // The width a node got is what it was asked for: its children count that many samples.
    for (const node of result.trace) {
      const width = node.meta?.width;
      if (typeof width !== "number" || width === 0) continue;
      const children = result.trace.filter((c) => c.parent === node.id);
      assert.ok(children.length <= width, `node ${node.id}`);
    }
  });
});
