import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { mcts } from "../../../src/strategies/search/mcts.js";
import { finishSearch } from "../../../src/strategies/search/search.js";
import { assertSearchRun, runEmbedded } from "./e2e.js";
import { ScriptedScores, ScriptedSteps, scriptedSearch, settings } from "./scripted.js";

/**
 * The step tree: the root offers a (0.8) and b (0.4); a leads to the answer A:1 (0.9) or to c (0.6),
 * which leads to A:3 (0.7); b leads only to A:2 (0.2). A request for 2 samples gets each option once
 * (b's and c's single option twice: the repeat is dropped as a duplicate).
 */
const STEPS = { "": ["a\n", "b\n"], "a\n": ["A:1\n", "c\n"], "b\n": ["A:2\n"], "a\nc\n": ["A:3\n"] };
const SCORES = {
  "a\n": 0.8,
  "b\n": 0.4,
  "a\nA:1\n": 0.9,
  "a\nc\n": 0.6,
  "b\nA:2\n": 0.2,
  "a\nc\nA:3\n": 0.7,
};

function world() {
  const generator = new ScriptedSteps(STEPS);
  const search = scriptedSearch(generator, new ScriptedScores(SCORES));
  /** visits and mean value of the (first, kept) trace node with this text. */
  const stats = (text: string) => {
    const node = search.trace.nodes.find(
      (n) => search.tree.nodes[n.id]!.text === text && n.status !== "pruned",
    );
    assert.ok(node, text);
    return { visits: node.visits ?? 0, value: node.value };
  };
  return { generator, search, stats };
}

const mctsSettings = (extra: object = {}) =>
  settings({
    iterations: 6,
    c: 1,
    children: 2,
    rule: "puct" as const,
    rollout: 0,
    choose: "visits" as const,
    ...extra,
  });

function near(actual: number | undefined, expected: number) {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
}

describe("mcts (scripted)", () => {
  test("batch=2: virtual losses spread one round's selections, expanded in one request batch", async () => {
    /*
     * round 1: the root is the only leaf; both selections end there, it is expanded once (a 0.8,
     *          b 0.4), v = 0.6 for both paths.                                root N2 W1.2
     * round 2: a: 0.8 + 0.5·√2/1 = 1.507, b: 0.4 + 0.707 = 1.107 → a; its virtual loss (a N1 W0,
     *          root N3) gives a: 0 + 0.5·√3/2 = 0.433, b: 0.4 + 0.5·√3 = 1.266 → b. a and b are
     *          expanded in one batch: v(a) = (0.9 + 0.6)/2 = 0.75, v(b) = 0.2.
     *          root N4 W2.15, a N1 W0.75, b N1 W0.2
     */
    const { generator, search, stats } = world();
    const batches: number[] = [];
    const expand = generator.expand.bind(generator);
    generator.expand = async (requests) => {
      batches.push(requests.length);
      return expand(requests);
    };
    await mcts(mctsSettings({ iterations: 4, batch: 2 }), search);
    assert.deepEqual(batches, [1, 2]);
    const root = search.trace.nodes[0]!;
    assert.equal(root.visits, 4);
    near(root.value, 2.15 / 4);
    assert.equal(stats("a\n").visits, 1);
    near(stats("a\n").value, 0.75);
    assert.equal(stats("b\n").visits, 1);
    near(stats("b\n").value, 0.2);
  });

  test("PUCT: visits and values after 6 iterations equal the hand computation", async () => {
    /*
     * PUCT(child) = Q + c·P·√N(parent)/(1 + N), c = 1, P = 1/2; Q of an unvisited child = its score.
     * it 1: root is a leaf → expand a (0.8), b (0.4); v = (0.8 + 0.4)/2 = 0.6.      root N1 W0.6
     * it 2: a: 0.8 + 0.5·1/1 = 1.3; b: 0.4 + 0.5 = 0.9 → a; expand A:1 (0.9, complete), c (0.6);
     *       v = 0.75.                                                    a N1 W0.75, root N2 W1.35
     * it 3: a: 0.75 + 0.5·√2/2 = 1.1036; b: 0.4 + 0.5·√2 = 1.1071 → b; expand A:2 (0.2) twice, one
     *       kept; v = 0.2.                                               b N1 W0.2,  root N3 W1.55
     * it 4: a: 0.75 + 0.5·√3/2 = 1.183; b: 0.2 + 0.433 = 0.633 → a; A:1: 0.9 + 0.5·1/1 = 1.4;
     *       c: 0.6 + 0.5 = 1.1 → A:1, complete: v = 0.9, nothing generated.
     *                                                       A:1 N1 W0.9, a N2 W1.65, root N4 W2.45
     * it 5: a: 0.825 + 0.5·2/3 = 1.158; b: 0.2 + 0.5·2/2 = 0.7 → a; A:1: 0.9 + 0.5·√2/2 = 1.2536;
     *       c: 0.6 + 0.5·√2 = 1.3071 → c; expand A:3 (0.7) twice, one kept; v = 0.7.
     *                                                       c N1 W0.7, a N3 W2.35, root N5 W3.15
     * it 6: a: 2.35/3 + 0.5·√5/4 = 1.0628; b: 0.2 + 0.5·√5/2 = 0.759 → a; A:1: 0.9 + 0.5·√3/2 =
     *       1.333; c: 0.7 + 0.433 = 1.133 → A:1, complete: v = 0.9.
     *                                                       A:1 N2 W1.8, a N4 W3.25, root N6 W4.05
     */
    const { generator, search, stats } = world();
    const result = await mcts(mctsSettings(), search);
    assert.equal(result.stopReason, "completed");
    const expected: [string, number, number][] = [
      ["", 6, 4.05 / 6],
      ["a\n", 4, 3.25 / 4],
      ["b\n", 1, 0.2],
      ["a\nA:1\n", 2, 0.9],
      ["a\nc\n", 1, 0.7],
    ];
    for (const [text, visits, value] of expected) {
      assert.equal(stats(text).visits, visits, `visits of ${JSON.stringify(text)}`);
      near(stats(text).value, value);
    }
    assert.equal(stats("a\nc\nA:3\n").visits, 0);
    assert.equal(stats("b\nA:2\n").visits, 0);
    // Four expansions of 2; the two terminal revisits generated nothing.
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n]),
      [
        ["", 2],
        ["a\n", 2],
        ["b\n", 2],
        ["a\nc\n", 2],
      ],
    );
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["a\nA:1\n", "b\nA:2\n", "a\nc\nA:3\n"],
    );
    // Most visited: root → a (4 vs 1) → A:1 (2 vs 1), a complete solution.
    assert.equal(result.chosen?.text, "a\nA:1\n");
    const outcome = finishSearch(search.tree, result, "best", {
      extractAnswer: (t) => /A:(\d+)/.exec(t)?.[1] ?? null,
      sameAnswer: (a, b) => a === b,
    });
    assert.equal(outcome.answer, "1");
    assert.equal(search.trace.nodes[result.chosen!.id]!.status, "selected");
    assert.equal(
      search.trace.nodes.filter((n) => n.status === "pruned").length,
      2,
      "the duplicate A:2 and A:3",
    );
  });

  test("values reach the root: root visits = iterations, root value = mean of every backed-up value", async () => {
    const { search, stats } = world();
    await mcts(mctsSettings({ iterations: 3 }), search);
    // Backed-up values of iterations 1–3 (above): 0.6, 0.75, 0.2.
    assert.equal(stats("").visits, 3);
    near(stats("").value, (0.6 + 0.75 + 0.2) / 3);
    // Each expanded node's visits = its own expansion + its children's visits.
    for (const text of ["", "a\n"]) {
      const node = search.tree.nodes.find((n) => n.text === text)!;
      const children = search.tree.nodes.filter((n) => n.parent === node);
      const below = children.reduce((s, c) => s + (search.trace.nodes[c.id]!.visits ?? 0), 0);
      assert.equal(stats(text).visits, 1 + below, JSON.stringify(text));
    }
  });

  test("UCT: unvisited children first (best score first), then Q + c·√(ln N / n)", async () => {
    /*
     * it 1: expand root, v = 0.6. it 2: a, b unvisited (∞), a scores higher → expand a, v = 0.75.
     * it 3: b unvisited → expand b, v = 0.2. it 4: a: 0.75 + √(ln 3/1) = 1.798; b: 0.2 + 1.048 →
     * a; A:1 and c unvisited, A:1 scores higher → v = 0.9. it 5: a: 0.825 + √(ln 4/2) = 1.658;
     * b: 0.2 + √(ln 4) = 1.377 → a; c unvisited → expand c, v = 0.7.
     */
    const { search, stats } = world();
    await mcts(mctsSettings({ rule: "uct", iterations: 5 }), search);
    near(stats("").value, (0.6 + 0.75 + 0.2 + 0.9 + 0.7) / 5);
    assert.equal(stats("a\n").visits, 3);
    near(stats("a\n").value, (0.75 + 0.9 + 0.7) / 3);
    assert.equal(stats("b\n").visits, 1);
    assert.equal(stats("a\nA:1\n").visits, 1);
    assert.equal(stats("a\nc\n").visits, 1);
  });

  test("the chosen path must end at a complete solution, else select decides", async () => {
    const { search } = world();
    // After 2 iterations the most visited path is root → a, whose children are unvisited.
    const result = await mcts(mctsSettings({ iterations: 2 }), search);
    assert.equal(result.chosen, undefined);
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["a\nA:1\n"],
    );
  });

  test("choose=value follows the best mean value", async () => {
    // After 6 iterations (above): a (0.8125 vs b 0.2) → A:1 (0.9 vs c 0.7).
    const { search } = world();
    const result = await mcts(mctsSettings({ choose: "value" }), search);
    assert.equal(result.chosen?.text, "a\nA:1\n");
  });

  test("rollout=1: each new child is valued where its greedy rollout ends", async () => {
    const { generator, search, stats } = world();
    const result = await mcts(mctsSettings({ rollout: 1, iterations: 1 }), search);
    // a rolls out greedily to A:1 (0.9), b to A:2 (0.2): v = 0.55.
    near(stats("").value, 0.55);
    assert.equal(search.tree.nodes.find((n) => n.text === "a\n")!.score, 0.9);
    assert.deepEqual(
      generator.requests.map((r) => [r.from.text, r.n, r.greedy ?? false]),
      [
        ["", 2, false],
        ["a\n", 1, true],
        ["b\n", 1, true],
      ],
    );
    assert.deepEqual(
      result.finals.map((n) => n.text),
      ["a\nA:1\n", "b\nA:2\n"],
      "complete rollouts are candidates",
    );
  });

  test("a spent budget stops between iterations", async () => {
    const generator = new ScriptedSteps(STEPS);
    const search = scriptedSearch(generator, new ScriptedScores(SCORES), {
      halt: () => (generator.requests.length >= 2 ? "budget" : null),
    });
    const result = await mcts(mctsSettings(), search);
    assert.equal(result.stopReason, "budget");
    assert.equal(search.trace.nodes[0]!.visits, 2);
  });
});

describe("mcts (embedded policy and PRM)", () => {
  test("mcts:iterations=6,children=3 runs end to end", async () => {
    const result = await runEmbedded("mcts:iterations=6,children=3,stepTokens=32");
    assertSearchRun(result);
    const root = result.trace[0]!;
    assert.equal(root.visits, 6, "every iteration reaches the root");
    for (const node of result.trace) {
      const children = result.trace.filter((c) => c.parent === node.id && c.visits !== undefined);
      if (children.length === 0 || node.visits === undefined) continue;
      assert.equal(node.visits, 1 + children.reduce((s, c) => s + c.visits!, 0), `visits of ${node.id}`);
    }
  });
});
