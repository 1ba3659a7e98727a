import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { scorers } from "../../src/scorers/registry.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import {
  arithOptions,
  arithProblems,
  candidateTokens,
  RuleScorer,
  run,
  ScriptedModel,
  useScorer,
} from "./fixtures.js";

/**
 * A step's value by its first letter — g good (0.95), h so-so (0.6), b bad (0.01), the answer line 1
 * — and a solution's score the minimum over its steps, so that it can only fall as steps are added
 * (as the generative PRM's).
 */
const LINE: Record<string, number> = { g: 0.95, h: 0.6, b: 0.01, A: 1 };
const minRule = (s: string) => {
  const lines = s.split("\n").filter((l) => l !== "");
  return lines.length === 0 ? Number.NaN : Math.min(...lines.map((l) => LINE[l[0]!] ?? 0.5));
};
const defaults = { maxTokens: 100, stepDelimiter: "\n" };
// Steps of 5 tokens (4 characters and the delimiter), then a 4-token answer line.
const texts = [
  "gaaa\ngaaa\nA:1\n", // 0.95
  "hbbb\ngbbb\nA:2\n", // 0.6 from its first step
  "gccc\nbccc\nA:3\n", // 0.01 from its second step
  "gddd\ngddd\nA:4\n", // 0.95: ties with the first
];

describe("early-reject strategy (scripted)", () => {
  test("stops a partial solution once its score is below the best complete one", async () => {
    const model = new ScriptedModel((i) => texts[i]!);
    const scorer = new RuleScorer(minRule);
    const result = await run(createStrategy("early-reject:n=4,wave=1,floor=0,accept=2"), {
      model,
      scorer,
      defaults,
    });
    const [c0, c1, c2, c3] = result.candidates;
    assert.equal(c0!.text, texts[0]);
    assert.equal(c1!.text, "hbbb\n", "0.6 < 0.95 after its first step");
    assert.equal(c2!.text, "gccc\nbccc\n", "0.01 < 0.95 after its second step");
    assert.equal(c3!.text, texts[3], "a tie with the best is not below it");
    // One token per character; steps end at the delimiter, so no end-of-text token is generated.
    assert.deepEqual(
      result.candidates.map((c) => c.completionTokens),
      [14, 5, 10, 14],
    );
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.equal(result.answer, "1", "the earliest of equal scores, as best-of-n picks");
    assert.equal(result.chosen, 0);
    const pruned = result.trace.filter((n) => n.status === "pruned");
    assert.deepEqual(
      pruned.map((n) => [n.meta?.rejectedAt, n.meta?.partialScore]),
      [
        [1, 0.6],
        [2, 0.01],
      ],
    );
    // Continuations carry the prefixes, one step per request.
    const continued = model.requests.filter((r) => r.prefix).map((r) => r.prefix);
    assert.ok(continued.includes("gaaa\ngaaa\n") && continued.includes("gccc\n"));
    assert.ok(model.requests.every((r) => r.stop?.includes("\n")));
    // Same answer as best-of-n over the same four solutions.
    const bon = await run(createStrategy("bon:n=4"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    assert.equal(bon.answer, result.answer);
    assert.ok(result.usage.completionTokens < bon.usage.completionTokens);
  });

  test("no new wave once a complete candidate scores `accept`", async () => {
    const result = await run(createStrategy("early-reject:n=4,wave=2,floor=0,accept=0.9"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    assert.equal(result.candidates.length, 2, "one wave of two");
    assert.equal(result.stopReason, "early-stop");
    assert.equal(result.answer, "1");
    // Within a wave candidates advance step by step together: the second ends in the same step.
    assert.equal(result.candidates[1]!.text, texts[1]);
  });

  test("the floor stops bad partials before anything is complete", async () => {
    const result = await run(createStrategy("early-reject:n=4,wave=4,floor=0.5,accept=2"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    assert.equal(result.candidates[2]!.text, "gccc\nbccc\n");
    assert.equal(result.candidates[1]!.text, texts[1], "0.6 is above the floor");
    assert.equal(result.answer, "1");
  });

  test("when every candidate is stopped, the most promising one is finished", async () => {
    const bad = ["bxxx\nhxxx\nA:7\n", "bzzz\nA:8\n"];
    const result = await run(createStrategy("early-reject:n=2,wave=2,floor=0.5,accept=2"), {
      model: new ScriptedModel((i) => bad[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    assert.equal(result.answer, "7", "equal partial scores: the earlier one is resumed");
    assert.equal(result.candidates[0]!.text, bad[0]);
    assert.equal(result.candidates[1]!.text, "bzzz\n");
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.equal(result.trace.filter((n) => n.status === "pruned").length, 1);
  });

  test("the floor never changes the answer: a stopped candidate that could still win is resumed", async () => {
    const pair = ["gaaa\nbaaa\nA:1\n", "hbbb\nhbbb\nA:2\n"]; // final scores 0.01 and 0.6
    const result = await run(createStrategy("early-reject:n=2,wave=2,floor=0.7,accept=2"), {
      model: new ScriptedModel((i) => pair[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    // Both fell below the floor (1 after its first step, 0 after its second); 1 had the higher
    // partial score, so it was resumed and completed at 0.6, above 0's 0.01: best-of-n's answer.
    assert.equal(result.answer, "2");
    assert.equal(result.candidates[1]!.text, pair[1]);
    assert.equal(result.candidates[0]!.text, "gaaa\nbaaa\n");
    const bon = await run(createStrategy("bon:n=2"), {
      model: new ScriptedModel((i) => pair[i]!),
      scorer: new RuleScorer(minRule),
      defaults,
    });
    assert.equal(bon.answer, result.answer);
  });

  test("NaN scores: nothing to choose, no crash", async () => {
    const result = await run(createStrategy("early-reject:n=2,wave=2"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(() => Number.NaN),
      defaults,
    });
    assert.equal(result.chosen, -1);
    assert.equal(result.answer, null);
  });

  test("needs a scorer; a budget ends it; an abort ends it", async () => {
    await assert.rejects(
      run(createStrategy("early-reject"), { model: new ScriptedModel((i) => texts[i % 4]!) }),
      /needs a scorer/,
    );
    const budgeted = await run(createStrategy("early-reject:n=4,wave=1,floor=0,accept=2"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(minRule),
      budget: { maxCompletionTokens: 20 },
      defaults,
    });
    assert.ok(budgeted.usage.completionTokens <= 20);
    assert.equal(budgeted.stopReason, "budget");
    assert.equal(budgeted.answer, "1", "the first candidate completed within the budget");
    const controller = new AbortController();
    controller.abort();
    const aborted = await run(createStrategy("early-reject:n=4"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(minRule),
      signal: controller.signal,
      defaults,
    });
    assert.equal(aborted.stopReason, "aborted");
    assert.equal(aborted.usage.completionTokens, 0);
  });
});

describe("early-reject on the embedded model", () => {
  const policy = usePolicy(8);
  const genprm = useScorer(() => scorers.create("genprm").open());

  test("under the generative PRM: stopped candidates could not have won, fewer tokens than best-of-n", async () => {
    const [problem] = arithProblems(5, 1);
    const options = arithOptions(policy(), { scorer: genprm() });
    const er = await runStrategy(
      createStrategy("early-reject:n=8,wave=2,floor=0,accept=2"),
      problem!,
      options,
    );
    const bon = await runStrategy(createStrategy("bon:n=8"), problem!, options);
    assert.equal(er.candidates.length, 8);
    assert.equal(er.usage.completionTokens, candidateTokens(er));
    assert.ok(er.usage.completionTokens < bon.usage.completionTokens);
    assert.ok(er.chosen >= 0);
    const chosen = er.candidates[er.chosen]!;
    assert.match(chosen.text, /^(-?\d+[+\-*/]\d+=-?\d+\n)+A:-?\d+\n$/, "a complete solution");
    for (const c of er.candidates) {
      if (c === chosen || !c.text.includes("A:")) continue;
      assert.ok(c.score! <= chosen.score!, "no complete candidate beats the chosen one");
    }
    const pruned = er.trace.filter((n) => n.status === "pruned");
    assert.ok(pruned.length > 0, "some candidates were stopped");
    for (const node of pruned) assert.ok((node.meta?.partialScore as number) < chosen.score!);
    // Each candidate's first step is best-of-n's sample of the same seed.
    er.candidates.forEach((c, i) => {
      assert.equal(c.text.split("\n")[0], bon.candidates[i]!.text.split("\n")[0]);
    });
  });
});
