import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { beamSearch } from "../../../src/strategies/search/beam.js";
import { diverseBeamSearch } from "../../../src/strategies/search/diverse-beam.js";
import { dvts } from "../../../src/strategies/search/dvts.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

const statusOf = (search: ReturnType<typeof scriptedSearch>, text: string) =>
  search.tree.nodes.filter((n) => n.text === text).map((n) => search.trace.nodes[n.id]!.status);

describe("beam search (scripted)", () => {
  // N=4, M=2: the root opens 4 beams, 2 survive each step and each expands 2.
  const steps = {
    "": ["a1\n", "a2\n", "a3\n", "a4\n"],
    "a1\n": ["b1\n", "b2\n"],
    "a3\n": ["c1\n", "A:3\n"],
    "a1\nb2\n": ["A:1\n", "A:5\n"],
    "a3\nc1\n": ["A:2\n", "A:2\n"],
    "a1\nb2\nA:1\n": [],
  };
  const scores = {
    "a1\n": 0.9,
    "a2\n": 0.1,
    "a3\n": 0.8,
    "a4\n": 0.2,
    "a1\nb1\n": 0.3,
    "a1\nb2\n": 0.95,
    "a3\nc1\n": 0.6,
    "a3\nA:3\n": 0.4,
    "a1\nb2\nA:1\n": 0.99,
    "a1\nb2\nA:5\n": 0.2,
    "a3\nc1\nA:2\n": 0.7,
  };

  test("keeps the N/M best beams, expands each M times, stops at N complete solutions", async () => {
    const generator = new ScriptedSteps(steps);
    const search = scriptedSearch(generator, new ScriptedScores(scores));
    const result = await beamSearch(settings({ n: 4, m: 2, lookahead: 0 }), search);
    assert.equal(result.stopReason, "completed");
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["a3\nA:3\n", "a1\nb2\nA:1\n", "a1\nb2\nA:5\n", "a3\nc1\nA:2\n"],
    );
    // Depth 1 keeps a1 and a3; at depth 2 one solution is complete, so 3 samples are left for the 2
    // survivors: the better one (b2) takes 2, c1 takes 1.
    for (const pruned of ["a2\n", "a4\n", "a1\nb1\n"]) assert.deepEqual(statusOf(search, pruned), ["pruned"]);
    for (const kept of ["a1\n", "a3\n", "a1\nb2\n", "a3\nc1\n"])
      assert.deepEqual(statusOf(search, kept), ["expanded"]);
    // One request per parent: the root asks N = 4, the survivors share what is left.
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 4],
        ["a1\n", 2],
        ["a3\n", 2],
        ["a1\nb2\n", 2],
        ["a3\nc1\n", 1],
      ],
    );
    // Scores stored on the finals: last step's score.
    assert.equal(result.finals[1]!.score, 0.99);
  });

  test("duplicates do not narrow the beam: the distinct survivors share the N samples", async () => {
    const generator = new ScriptedSteps({
      "": ["a\n"],
      "a\n": ["b\n", "c\n", "d\n", "e\n"],
      "a\nb\n": ["A:1\n"],
      "a\nc\n": ["A:2\n"],
      "a\nd\n": ["A:3\n"],
      "a\ne\n": ["A:4\n"],
    });
    const search = scriptedSearch(generator, new ScriptedScores({ "a\nb\n": 0.9, "a\nc\n": 0.8 }));
    const result = await beamSearch(settings({ n: 4, m: 2, lookahead: 0 }), search);
    // The root's 4 samples are all "a": one distinct beam, which then takes all 4 samples.
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 4],
        ["a\n", 4],
        ["a\nb\n", 2],
        ["a\nc\n", 2],
      ],
    );
    assert.equal(
      result.finals.length,
      2,
      "b and c each end in one distinct solution (the repeats are pruned)",
    );
  });

  test("never returns more than N complete solutions", async () => {
    const search = scriptedSearch(
      new ScriptedSteps({ "": ["a\n", "b\n", "c\n"], "a\n": ["A:1\n", "A:2\n"], "b\n": ["A:3\n"] }),
      new ScriptedScores({ "a\n": 0.9, "b\n": 0.5, "c\n": 0.1 }),
    );
    // N=3, M=2: the root opens a, b, c (no solution yet); 1 survivor (a) expands 2 → 2 solutions.
    const one = await beamSearch(settings({ n: 3, m: 2, lookahead: 0 }), search);
    assert.equal(one.finals.length, 2);
    const capped = scriptedSearch(
      new ScriptedSteps({ "": ["A:1\n", "A:2\n", "A:3\n", "A:4\n", "A:5\n"] }, (_p, i) => i),
      new ScriptedScores({}),
    );
    const result = await beamSearch(settings({ n: 3, m: 1, lookahead: 0 }), capped);
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["A:1\n", "A:2\n", "A:3\n"],
    );
  });

  test("lookahead scores a step by where its greedy rollout ends", async () => {
    const world = {
      "": ["x1\n", "x2\n"],
      "x1\n": ["y1\n"],
      "x2\n": ["y2\n"],
      "x1\ny1\n": ["A:1\n"],
      "x2\ny2\n": ["A:2\n"],
    };
    const scores = { "x1\n": 0.9, "x2\n": 0.1, "x1\ny1\n": 0.1, "x2\ny2\n": 0.9 };
    const plain = scriptedSearch(new ScriptedSteps(world), new ScriptedScores(scores));
    await beamSearch(settings({ n: 2, m: 2, lookahead: 0, maxSteps: 1 }), plain);
    assert.deepEqual(statusOf(plain, "x2\n"), ["pruned"]);
    const generator = new ScriptedSteps(world);
    const ahead = scriptedSearch(generator, new ScriptedScores(scores));
    await beamSearch(settings({ n: 2, m: 2, lookahead: 1, maxSteps: 1 }), ahead);
    assert.deepEqual(statusOf(ahead, "x1\n"), ["pruned"]);
    assert.deepEqual(statusOf(ahead, "x2\n"), ["expanded"]);
    const x2 = ahead.tree.nodes.find((n) => n.text === "x2\n")!;
    assert.equal(x2.score, 0.9, "x2 carries its rollout's score");
    // The rollouts are greedy, recorded as pruned lookahead nodes.
    assert.ok(generator.requests.filter((r) => r.greedy).length >= 2);
    const rollouts = ahead.trace.nodes.filter((n) => n.meta?.lookahead);
    assert.equal(rollouts.length, 2);
    assert.ok(rollouts.every((n) => n.status === "pruned"));
  });

  test("stops when halted and reports why", async () => {
    let calls = 0;
    const search = scriptedSearch(
      new ScriptedSteps({ "": ["a\n"], "a\n": ["b\n"], "a\nb\n": ["A:1\n"] }),
      new ScriptedScores({}),
      { halt: () => (++calls > 1 ? "budget" : null) },
    );
    const result = await beamSearch(settings({ n: 2, m: 1, lookahead: 0 }), search);
    assert.equal(result.stopReason, "budget");
    assert.equal(result.finals.length, 0);
  });
});

describe("dvts (scripted)", () => {
  test("N/M independent subtrees, each greedy by score", async () => {
    let root = 0;
    const generator = new ScriptedSteps(
      {
        "": ["a1\n", "a2\n", "a3\n", "a4\n"],
        "a2\n": ["A:2\n", "A:7\n"],
        "a3\n": ["c\n", "A:3\n"],
        "a3\nc\n": ["A:4\n"],
      },
      (prefix, i) => (prefix === "" ? root++ : i),
    );
    const search = scriptedSearch(
      generator,
      new ScriptedScores({
        "a1\n": 0.4,
        "a2\n": 0.6,
        "a3\n": 0.9,
        "a4\n": 0.1,
        "a2\nA:2\n": 0.5,
        "a2\nA:7\n": 0.7,
        "a3\nc\n": 0.8,
        "a3\nA:3\n": 0.3,
      }),
    );
    const result = await dvts(settings({ n: 4, m: 2 }), search);
    // Subtree 1 chose a2 over a1 and then A:7; subtree 2 chose a3 over a4, c over A:3, then A:4. A
    // beam of width 2 would have kept a3 and a2 too, but within one pool: here a1 never competes with a3.
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["a2\nA:7\n", "a3\nc\nA:4\n"],
    );
    for (const pruned of ["a1\n", "a4\n", "a2\nA:2\n", "a3\nA:3\n"])
      assert.deepEqual(statusOf(search, pruned), ["pruned"]);
    // Each round asks M = 2 steps per open subtree.
    assert.ok(generator.requests.every((r) => r.n === 2));
    assert.equal(generator.requests.length, 2 + 2 + 1);
  });
});

describe("diverse beam search (scripted)", () => {
  const world = { "": ["s\n", "t\n"], "s\n": ["A:1\n"], "t\n": ["A:2\n"] };
  const scores = { "s\n": 0.9, "t\n": 0.5 };
  test("a later group pays for repeating an earlier group's step", async () => {
    const same = scriptedSearch(new ScriptedSteps(world), new ScriptedScores(scores));
    const plain = await diverseBeamSearch(settings({ n: 4, m: 2, groups: 2, penalty: 0 }), same);
    assert.deepEqual(
      plain.finals.map((n) => n.text),
      ["s\nA:1\n", "s\nA:1\n"],
      "without a penalty both groups keep s",
    );
    const apart = scriptedSearch(new ScriptedSteps(world), new ScriptedScores(scores));
    const diverse = await diverseBeamSearch(settings({ n: 4, m: 2, groups: 2, penalty: 0.5 }), apart);
    assert.deepEqual(
      diverse.finals.map((n) => n.text),
      ["s\nA:1\n", "t\nA:2\n"],
      "0.9 − 0.5 < 0.5: group 2 keeps t",
    );
    const t = apart.tree.nodes.filter((n) => n.text === "t\n");
    assert.equal(apart.trace.nodes[t[1]!.id]!.meta?.group, 1);
  });
});
