import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { aStar } from "../../../src/strategies/search/a-star.js";
import { assertSearchRun, runEmbedded } from "./e2e.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

/**
 * The step tree: the root offers p (0.7), q (0.6), r (0.2). p leads to the answer A:1 (0.4) or to
 * s (0.55), s to A:3 (0.3); q leads to A:2 (0.55); r to A:9 (0.1). With 3 samples a node
 * gets its options in turn; repeats are dropped.
 */
const STEPS = {
  "": ["p\n", "q\n", "r\n"],
  "p\n": ["A:1\n", "s\n"],
  "q\n": ["A:2\n"],
  "p\ns\n": ["A:3\n"],
  "r\n": ["A:9\n"],
};
const SCORES = {
  "p\n": 0.7,
  "q\n": 0.6,
  "r\n": 0.2,
  "p\nA:1\n": 0.4,
  "p\ns\n": 0.55,
  "p\ns\nA:3\n": 0.3,
  "q\nA:2\n": 0.55,
  "r\nA:9\n": 0.1,
};

function world() {
  const generator = new ScriptedSteps(STEPS);
  const search = scriptedSearch(generator, new ScriptedScores(SCORES));
  /** Texts of the nodes in the order they were popped. */
  const popOrder = () =>
    search.trace.nodes
      .filter((n) => typeof n.meta?.popped === "number")
      .sort((a, b) => (a.meta!.popped as number) - (b.meta!.popped as number))
      .map((n) => search.tree.nodes[n.id]!.text);
  return { generator, search, popOrder };
}

const aStarSettings = (extra: object = {}) =>
  settings({ children: 3, expansions: 16, goal: 0.5, costWeight: 0, ...extra });

describe("a-star (scripted)", () => {
  test("A* returns the first goal in priority order", async () => {
    /*
     * pop root → push p .7, q .6, r .2.   pop p → push A:1 .4 (complete, below the goal), s .55.
     * pop q → push A:2 .55.               s and A:2 tie at .55: s was pushed first → pop s, push A:3 .3.
     * pop A:2: complete and .55 ≥ .5 → the answer; r, A:1, A:3 are never popped.
     */
    const { generator, search, popOrder } = world();
    const result = await aStar(aStarSettings(), search);
    assert.equal(result.stopReason, "completed");
    assert.deepEqual(popOrder(), ["", "p\n", "q\n", "p\ns\n", "q\nA:2\n"]);
    assert.equal(result.chosen?.text, "q\nA:2\n");
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["p\nA:1\n", "q\nA:2\n", "p\ns\nA:3\n"],
    );
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 3],
        ["p\n", 3],
        ["q\n", 3],
        ["p\ns\n", 3],
      ],
    );
  });

  test("terminals below the goal stay finals and the search goes on until the queue is empty", async () => {
    // goal .56: A:2 (.55) is popped and set aside, then A:1 (.4), A:3 (.3), r (.2) is expanded and
    // A:9 (.1) set aside; the queue is empty and nothing is chosen.
    const { generator, search, popOrder } = world();
    const result = await aStar(aStarSettings({ goal: 0.56 }), search);
    assert.deepEqual(popOrder(), [
      "",
      "p\n",
      "q\n",
      "p\ns\n",
      "q\nA:2\n",
      "p\nA:1\n",
      "p\ns\nA:3\n",
      "r\n",
      "r\nA:9\n",
    ]);
    assert.equal(result.chosen, undefined);
    assert.equal(result.finals.length, 4);
    assert.equal(generator.requests.length, 5);
  });

  test("the path cost favours shallow nodes", async () => {
    // costWeight 1: f = score − depth: p −.3, q −.4, r −.8; then A:1 −1.6, s −1.45, A:2 −1.45: after
    // p and q, r (−.8) comes before every depth-2 node.
    const { search, popOrder } = world();
    const result = await aStar(aStarSettings({ costWeight: 1 }), search);
    assert.deepEqual(popOrder(), ["", "p\n", "q\n", "r\n", "p\ns\n", "q\nA:2\n"]);
    assert.equal(result.chosen?.text, "q\nA:2\n");
  });

  test("the expansion limit ends the search at the next open node", async () => {
    const { generator, search, popOrder } = world();
    const result = await aStar(aStarSettings({ expansions: 2 }), search);
    assert.equal(generator.requests.length, 2);
    assert.deepEqual(popOrder(), ["", "p\n", "q\n"]);
    assert.equal(result.chosen, undefined);
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["p\nA:1\n"],
    );
  });
});

describe("a-star (embedded policy and PRM)", () => {
  test("a-star:expansions=8,children=3 runs end to end", async () => {
    const result = await runEmbedded("a-star:expansions=8,children=3,stepTokens=32");
    assertSearchRun(result);
    const expansions = result.trace[0]!.meta?.expansions;
    assert.ok(typeof expansions === "number" && expansions >= 1 && expansions <= 8);
  });
});
