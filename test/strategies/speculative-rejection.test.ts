import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CompletionResponse } from "../../src/core/model.js";
import { wrapModel } from "../../src/core/wrap.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { completeSteps, worst } from "../../src/strategies/speculative-rejection.js";
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

describe("speculative-rejection helpers", () => {
  test("completeSteps keeps whole steps only", () => {
    assert.equal(completeSteps("1+1=2\n2+3=5\n5+", "\n"), "1+1=2\n2+3=5\n");
    assert.equal(completeSteps("1+1=", "\n"), "1+1=", "no complete step: the raw text");
    assert.equal(completeSteps("", "\n"), "");
  });
  test("worst: NaN first, then lowest; ties reject the later sample", () => {
    assert.deepEqual(worst([0.5, Number.NaN, 0.1, 0.9], 2), [1, 2]);
    assert.deepEqual(worst([0.3, 0.3, 0.3], 1), [2]);
    assert.deepEqual(worst([0.3], 0), []);
  });
});

/** Lines start with g (good) or b (bad); a solution's score is the share of good lines so far. */
const rule = (s: string) => {
  const lines = s.split("\n").filter((l) => l !== "");
  return lines.length === 0 ? Number.NaN : lines.filter((l) => l.startsWith("g")).length / lines.length;
};
// Four steps of 5 characters each, then the answer.
const texts = [
  "gxxx\ngxxx\ngxxx\ngxxx\nA:1\n", // good from the start
  "bxxx\nbxxx\ngxxx\ngxxx\nA:2\n",
  "gxxx\nbxxx\nbxxx\nbxxx\nA:3\n",
  "bxxx\ngxxx\ngxxx\ngxxx\nA:4\n",
];

describe("speculative-rejection strategy (scripted)", () => {
  test("stops the worst partials after `tokens`, continues the rest from their prefixes", async () => {
    const model = new ScriptedModel((i) => texts[i]!);
    const scorer = new RuleScorer(rule);
    const result = await run(createStrategy("speculative-rejection:n=4,tokens=7,reject=0.5"), {
      model,
      scorer,
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    // After 7 tokens: 0 and 2 start with a good step, 1 and 3 with a bad one; 3 is rejected first on
    // the tie (later sample), then 1.
    const [c0, c1, c2, c3] = result.candidates;
    assert.equal(c1!.completionTokens, 7);
    assert.equal(c3!.completionTokens, 7);
    assert.equal(c0!.text, texts[0]);
    assert.equal(c2!.text, texts[2]);
    // The partial scorer saw only complete steps.
    assert.deepEqual(scorer.calls[0], ["gxxx\n", "bxxx\n", "gxxx\n", "bxxx\n"]);
    assert.equal(result.answer, "1");
    assert.equal(result.chosen, 0);
    // Continuations carried the prefixes.
    const continued = model.requests.filter((r) => r.prefix);
    assert.deepEqual(continued.map((r) => r.prefix).sort(), ["gxxx\nbx", "gxxx\ngx"]);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    // Two rejected at 7 tokens, two complete with their end-of-text token.
    assert.equal(result.usage.completionTokens, 2 * 7 + (texts[0]!.length + 1) + (texts[2]!.length + 1));
    const pruned = result.trace.filter((n) => n.status === "pruned");
    assert.equal(pruned.length, 2);
    assert.ok(pruned.every((n) => n.meta?.rejectedAt === 1));
  });

  test("several rejection points", async () => {
    const model = new ScriptedModel((i) => texts[i]!);
    const result = await run(createStrategy("speculative-rejection:n=4,tokens=5,reject=0.5,rounds=2"), {
      model,
      scorer: new RuleScorer(rule),
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    // Round 1 (5 tokens): keep 0 and 2. Round 2 (10 tokens): 0 = gg, 2 = gb → 2 stops.
    assert.equal(result.candidates[2]!.completionTokens, 10);
    assert.equal(result.candidates.filter((c) => c.finishReason === "stop").length, 1);
    assert.equal(result.answer, "1");
  });

  test("NaN scores are rejected first; all rejected but one still answers", async () => {
    const model = new ScriptedModel((i) => texts[i]!);
    const result = await run(createStrategy("speculative-rejection:n=4,tokens=7,reject=1"), {
      model,
      scorer: new RuleScorer(() => Number.NaN),
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    assert.equal(result.chosen, -1, "everything rejected: no candidate to choose");
    assert.equal(result.answer, null);
    assert.ok(result.candidates.every((c) => c.completionTokens === 7));
  });

  test("needs a scorer; the budget ends it with the best so far", async () => {
    await assert.rejects(
      run(createStrategy("speculative-rejection"), { model: new ScriptedModel((i) => texts[i % 4]!) }),
      /needs a scorer/,
    );
    const result = await run(createStrategy("speculative-rejection:n=4,tokens=7,reject=0.5"), {
      model: new ScriptedModel((i) => texts[i]!),
      scorer: new RuleScorer(rule),
      budget: { maxCompletionTokens: 30 },
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    assert.ok(result.usage.completionTokens <= 30);
    assert.notEqual(result.chosen, -1);
  });
});

describe("speculative-rejection on the embedded model", () => {
  const policy = usePolicy(8);
  const scorer = useScorer();

  test("uses fewer tokens than best-of-n with the same seeds; survivors are complete", async () => {
    const [problem] = arithProblems(5, 1);
    // The policy as both runs use it, with token logprobs on so that the sampled tokens themselves
    // are recorded (both runs ask the same way, so their samples stay comparable).
    const responses: CompletionResponse[] = [];
    const inner = policy();
    const recorded = wrapModel(inner, {
      async complete(request, next) {
        const response = await next({ ...request, logprobs: true });
        responses.push(response);
        return response;
      },
    });
    const options = arithOptions(recorded, { scorer: scorer() });
    const er = await runStrategy(
      createStrategy("speculative-rejection:n=8,tokens=16,reject=0.5"),
      problem!,
      options,
    );
    const firstTokens = responses[0]!.completions.map((c) => c.logprobs!.map((t) => t.token));
    const bon = await runStrategy(createStrategy("bon:n=8"), problem!, options);
    const bonTokens = responses.at(-1)!.completions.map((c) => c.logprobs!.map((t) => t.token));
    assert.equal(er.candidates.length, 8);
    assert.equal(er.usage.completionTokens, candidateTokens(er));
    assert.ok(er.usage.completionTokens < bon.usage.completionTokens);
    const pruned = er.trace.filter((n) => n.status === "pruned");
    assert.equal(pruned.length, 4);
    for (const node of pruned) assert.equal(node.tokens, 16);
    // Its first request drew 16 tokens of each of the 8 samples: the same tokens as the first 16 of
    // best-of-n's samples (same run seed, sample i with seed base + i).
    assert.equal(firstTokens.length, 8);
    firstTokens.forEach((tokens, i) => {
      assert.equal(tokens.length, 16);
      assert.deepEqual(tokens, bonTokens[i]!.slice(0, 16), `sample ${i}`);
      assert.equal(er.candidates[i]!.text.slice(0, tokens.join("").length), tokens.join(""));
    });
    assert.ok(er.chosen >= 0);
    assert.notEqual(er.candidates[er.chosen]!.finishReason, "abort");
  });
});
