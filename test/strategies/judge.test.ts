import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/core/errors.js";
import { fillTemplate, parseRanking, parseRevision, parseVerdict } from "../../src/strategies/judge.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { candidateTokens, run, ScriptedJudge, ScriptedModel, solution } from "./fixtures.js";

describe("parsing judge replies", () => {
  test("rankings: bracketed references, bare number lists, out-of-range and repeats skipped", () => {
    assert.deepEqual(parseRanking("[3] > [1] > [2]", 3), [2, 0, 1]);
    assert.deepEqual(parseRanking("Ranking: [2], then [2] again, [9] and [1]", 3), [1, 0]);
    assert.deepEqual(parseRanking("Candidate 2 is best, then candidate 1.", 2), [1, 0]);
    assert.deepEqual(parseRanking("#4 > #2", 4), [3, 1]);
    assert.deepEqual(parseRanking("I think:\n2 > 3 > 1\n", 3), [1, 2, 0]);
    assert.deepEqual(parseRanking("2, 1", 3), [1, 0]);
  });
  test("rankings: unreadable replies are null, arithmetic is not a ranking", () => {
    assert.equal(parseRanking("", 3), null);
    assert.equal(parseRanking("they are all good", 3), null);
    assert.equal(parseRanking("57+38=95\nA:2\n", 3), null);
    assert.equal(parseRanking("[7] > [8]", 3), null);
  });
  test("pairwise verdicts", () => {
    assert.equal(parseVerdict("A"), "A");
    assert.equal(parseVerdict(" b."), "B");
    assert.equal(parseVerdict("(B) because it is right"), "B");
    assert.equal(parseVerdict("Answer: A"), "A");
    assert.equal(parseVerdict("Better solution: 2"), "B");
    assert.equal(parseVerdict("I prefer Solution B overall"), "B");
    assert.equal(parseVerdict("A:12\n"), null, "an answer line is not a verdict");
    assert.equal(parseVerdict("hmm"), null);
  });
  test("revisions after the marker", () => {
    assert.equal(
      parseRevision("bad step\nRevised solution:\n1+1=2\nA:2\n", "Revised solution:"),
      "1+1=2\nA:2\n",
    );
    assert.equal(parseRevision("revised SOLUTION: A:3", "Revised solution:"), " A:3");
    assert.equal(parseRevision("no marker", "Revised solution:"), null);
    assert.equal(parseRevision("Revised solution:\n  \n", "Revised solution:"), null);
  });
  test("templates fill known placeholders and leave others", () => {
    assert.equal(fillTemplate("{{a}} and {{b}} and {{c}}", { a: 1, b: "x" }), "1 and x and {{c}}");
  });
});

const answers = ["1", "2", "3", "2"];
const policy = () => new ScriptedModel((i) => solution(answers[i] ?? "0", `step ${i}\n`));

/** The solutions a listwise prompt shows, in order. */
function listed(prompt: string): string[] {
  return [...prompt.matchAll(/(?:^|\n)\[(\d+)\]\n([\s\S]*?)(?=\n\n|$)/g)].map((m) => m[2]!.trim());
}

describe("rank layer (scripted judge)", () => {
  test("listwise: the judge's order decides; top-k passed on, the rest pruned", async () => {
    const judge = new ScriptedJudge(() => "[3] > [1] > [4] > [2]");
    const result = await run(createStrategy("rank:n=4,k=2"), { model: policy(), judge });
    assert.equal(result.answer, "3");
    assert.equal(result.chosen, 2);
    assert.equal(result.candidates.length, 4);
    assert.equal(judge.prompts.length, 1);
    assert.deepEqual(
      listed(judge.prompts[0]!),
      result.candidates.map((c) => c.text.trim()),
    );
    assert.match(judge.prompts[0]!, /Q:1\+1/);
    const stage = result.trace.find((n) => n.meta?.layer === "rank")!;
    assert.deepEqual(stage.meta!.ranking, [2, 0, 3, 1]);
    assert.equal(stage.meta!.fallback, false);
    const nodes = result.trace.filter((n) => n.parent === stage.id);
    assert.deepEqual(
      nodes.map((n) => n.status),
      ["selected", "selected", "pruned", "pruned"],
    );
  });

  test("a partial ranking is completed in fallback order; an unreadable one falls back to the vote", async () => {
    const partial = await run(createStrategy("rank:n=4,k=4"), {
      model: policy(),
      judge: new ScriptedJudge(() => "[4] is the best"),
    });
    const stage = partial.trace.find((n) => n.meta?.layer === "rank")!;
    // 4 first, then vote order: answer 2 (candidates 2, 4) before 1 and 3.
    assert.deepEqual(stage.meta!.ranking, [3, 1, 0, 2]);
    const garbage = await run(createStrategy("rank:n=4"), {
      model: policy(),
      judge: new ScriptedJudge(() => "57+38=95\nA:5\n"),
    });
    assert.equal(garbage.answer, "2", "self-consistency order");
    assert.equal(garbage.trace.find((n) => n.meta?.layer === "rank")!.meta!.fallback, true);
    const order = await run(createStrategy("rank:n=4,fallback=order"), {
      model: policy(),
      judge: new ScriptedJudge(() => "no idea"),
    });
    assert.equal(order.answer, "1", "input order");
  });

  test("pairwise: every pair once, wins decide, unreadable verdicts split", async () => {
    // The judge prefers the solution with the larger answer.
    const judge = new ScriptedJudge((prompt) => {
      const a = /Solution A:\n[\s\S]*?A:(\d+)/.exec(prompt)![1]!;
      const b = /Solution B:\n[\s\S]*?A:(\d+)/.exec(prompt)![1]!;
      return Number(a) >= Number(b) ? "A" : "B";
    });
    const result = await run(createStrategy("rank:n=4,mode=pairwise,k=1"), { model: policy(), judge });
    assert.equal(judge.prompts.length, 6);
    assert.equal(result.answer, "3");
    const stage = result.trace.find((n) => n.meta?.layer === "rank")!;
    // Pairs in order (0,1) (2,0) (0,3) (2,1) (1,3) (3,2): the tie 1–3 goes to the one shown first.
    assert.deepEqual(stage.meta!.wins, [0, 2, 3, 1]);
    // Both presentation orders occur.
    assert.ok(judge.prompts.some((p) => p.indexOf("step 0") < p.indexOf("step 1")));
    assert.ok(judge.prompts.some((p) => /Solution A:\nstep [1-3][\s\S]*Solution B:\nstep 0/.test(p)));
    const unreadable = await run(createStrategy("rank:n=4,mode=pairwise"), {
      model: policy(),
      judge: new ScriptedJudge(() => "A:1"),
    });
    assert.equal(unreadable.answer, "2", "all ties: vote order");
  });

  test("the judge defaults to the policy model and its usage is the policy's; a separate judge is counted apart", async () => {
    const model = new ScriptedModel((i) => (i >= 0 && i < 4 ? solution(answers[i]!) : "[2] > [1]"));
    const own = await run(createStrategy("rank:n=4"), { model });
    assert.equal(own.answer, "2");
    assert.equal(model.requests.length, 2);
    assert.equal(own.usage.completionTokens, candidateTokens(own) + "[2] > [1]".length + 1);
    assert.equal(own.scorerUsage.completionTokens, 0);
    const judge = new ScriptedJudge(() => "[2] > [1]");
    const apart = await run(createStrategy("rank:n=4"), { model: policy(), judge });
    assert.equal(apart.usage.completionTokens, candidateTokens(apart));
    assert.equal(apart.scorerUsage.completionTokens, "[2] > [1]".length + 1);
    assert.equal(apart.scorerUsage.calls, 1);
  });

  test("a template file replaces the built-in prompt; a bad one is a ConfigError", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "deliberate-judge-"));
    const file = path.join(dir, "rank.txt");
    writeFileSync(file, "Q={{question}} N={{n}}\n{{candidates}}\nOrder:");
    const judge = new ScriptedJudge(() => "[1]");
    await run(createStrategy(`rank:n=2,template=${file}`), { model: policy(), judge });
    assert.match(judge.prompts[0]!, /^Q=Q:1\+1 N=2\n\[1\]\n/);
    const bad = path.join(dir, "bad.txt");
    writeFileSync(bad, "no placeholders");
    assert.throws(() => createStrategy(`rank:template=${bad}`), ConfigError);
    assert.throws(() => createStrategy(`rank:template=${path.join(dir, "missing.txt")}`), /cannot read/);
  });
});

describe("fuse layer (scripted judge)", () => {
  test("the fused solution answers and is recorded as a new candidate", async () => {
    const judge = new ScriptedJudge(() => "merged\nA:42\n");
    const result = await run(createStrategy("fuse:n=3"), { model: policy(), judge });
    assert.equal(result.answer, "42");
    assert.equal(result.candidates.length, 4);
    assert.equal(result.chosen, 3);
    assert.equal(result.output, "merged\nA:42\n");
    assert.equal(listed(judge.prompts[0]!).length, 3);
  });
  test("no extractable answer: falls back to the first input candidate", async () => {
    const judge = new ScriptedJudge(() => "I refuse");
    const result = await run(createStrategy("fuse:n=3"), { model: policy(), judge });
    assert.equal(result.answer, "1");
    assert.equal(result.chosen, 0);
    assert.equal(result.candidates.length, 4, "the fused text is still recorded");
    assert.equal(result.trace.find((n) => n.meta?.layer === "fuse")!.meta!.fallback, true);
  });
});

describe("critique layer (scripted judge)", () => {
  test("revises each of the first k; majority over the revisions", async () => {
    const judge = new ScriptedJudge((prompt) =>
      prompt.includes("A:3") ? "Looks right." : "Step 1 is wrong.\nRevised solution:\nfixed\nA:3\n",
    );
    const result = await run(createStrategy("critique:n=4,k=3"), { model: policy(), judge });
    assert.equal(judge.prompts.length, 3);
    assert.equal(result.answer, "3");
    const stage = result.trace.find((n) => n.meta?.layer === "critique")!;
    const nodes = result.trace.filter((n) => n.parent === stage.id);
    assert.deepEqual(
      nodes.map((n) => n.meta!.fallback === true),
      [false, false, true],
      "the third (already 3) had no revision and was kept",
    );
  });
  test("no revision anywhere: the originals are kept and voted", async () => {
    const judge = new ScriptedJudge(() => "fine");
    const result = await run(createStrategy("critique:n=4"), { model: policy(), judge });
    assert.equal(result.answer, "2");
  });
});
