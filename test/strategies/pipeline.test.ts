import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { LlamaCppModel } from "../../src/backends/llama-cpp/index.js";
import { ConfigError } from "../../src/core/errors.js";
import { parseSpec } from "../../src/core/spec.js";
import type { StrategyResult } from "../../src/core/strategy.js";
import { embeddedModels } from "../../src/defaults.js";
import { isPipeline, splitPipeline } from "../../src/strategies/pipeline.js";
import { createStrategy, strategies } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import {
  arithOptions,
  arithProblems,
  RuleScorer,
  run,
  ScriptedJudge,
  ScriptedModel,
  solution,
} from "./fixtures.js";

describe("pipeline specs", () => {
  test("split into stages, each parsed by the single-spec grammar", () => {
    assert.deepEqual(splitPipeline("sample:n=8 | rank:k=3|fuse"), ["sample:n=8", "rank:k=3", "fuse"]);
    assert.equal(isPipeline("sc:n=4"), false);
    assert.throws(() => splitPipeline("sample:n=8 |"), ConfigError);
    assert.throws(() => splitPipeline("| rank"), /empty stage/);
    assert.throws(() => splitPipeline("sample | 3x"), /must start with a name/);
    // The single-spec parser is unchanged.
    assert.deepEqual(parseSpec("sc:n=16,temperature=0.8"), {
      name: "sc",
      positional: [],
      params: { n: "16", temperature: "0.8" },
    });
  });

  test("createStrategy accepts pipelines and canonicalises every stage", () => {
    const s = createStrategy("sample:n=8 | rank:k=3 | fuse");
    assert.equal(
      s.spec,
      "sample:n=8,temperature=0.8,topP=1,topK=0 | rank:k=3,mode=listwise,fallback=vote,judgeTemperature=0 | fuse:judgeTemperature=0",
    );
    assert.equal(createStrategy(s.spec).spec, s.spec, "the canonical spec parses to itself");
    assert.equal(createStrategy("sample | weighted-vote").needsScorer, true);
    assert.equal(createStrategy("sample | mbr:similarity=lines").needsScorer, false);
    assert.equal(createStrategy("sc:n=4").spec, "self-consistency:n=4,temperature=0.8,topP=1,topK=0");
  });

  test("later stages must be layers; errors list what is valid", () => {
    assert.throws(() => createStrategy("sample | frobnicate"), /unknown layer "frobnicate".*valid: rank/);
    assert.throws(() => createStrategy("sample | sample"), /unknown layer "sample"/);
    assert.throws(() => createStrategy("sample | rank:n=8"), /unknown parameter "n" for layer "rank"/);
    assert.throws(() => createStrategy("nope | rank"), /unknown strategy "nope"/);
  });

  test("every registered strategy builds with its defaults", () => {
    for (const { name } of strategies.list()) {
      // auto has no default: it needs its policy file (test/strategies/auto.test.ts).
      if (name === "auto") {
        assert.throws(() => createStrategy(name), /policy/);
        continue;
      }
      const s = createStrategy(name);
      assert.ok(s.spec.startsWith(name), s.spec);
    }
    assert.ok(strategies.list().length >= 15);
  });
});

/** Answers of the scripted samples; candidate i writes `step i`. */
const answers = ["1", "2", "3", "2", "3", "3"];
const policy = () => new ScriptedModel((i) => solution(answers[i] ?? "0", `step ${i}\n`));
/** A judge that ranks the sample with answer 3 first and fuses by writing answer 30. */
const judge = () =>
  new ScriptedJudge((prompt) => {
    if (prompt.includes("Rank them")) {
      const order = [...prompt.matchAll(/(?:^|\n)\[(\d+)\]\n[^\n]*\nA:(\d+)/g)]
        .sort((a, b) => Number(b[2]) - Number(a[2]))
        .map((m) => `[${m[1]}]`);
      return order.join(" > ");
    }
    if (prompt.includes("Revised solution")) return "ok\nRevised solution:\nrevised\nA:4\n";
    return "fused\nA:30\n";
  });

function stages(result: StrategyResult): string[] {
  return result.trace.filter((n) => n.parent === null).map((n) => String(n.meta?.layer ?? "sample"));
}

describe("pipelines (scripted)", () => {
  test("sample | rank | fuse: each layer takes the previous layer's candidates", async () => {
    const j = judge();
    const result = await run(createStrategy("sample:n=6 | rank:k=2 | fuse"), { model: policy(), judge: j });
    assert.equal(result.answer, "30");
    assert.deepEqual(stages(result), ["sample", "rank", "fuse"]);
    // 6 samples + the fused one; the chosen is the fused one.
    assert.equal(result.candidates.length, 7);
    assert.equal(result.chosen, 6);
    // The fuser saw exactly the top 2 of the ranking (answer 3 first, by sample order among equals).
    const fusePrompt = j.prompts[1]!;
    assert.match(fusePrompt, /\[1\]\nstep 2\nA:3/);
    assert.match(fusePrompt, /\[2\]\nstep 4\nA:3/);
    assert.doesNotMatch(fusePrompt, /\[3\]/);
    assert.equal(result.scorerUsage.calls, 2, "two judge calls, counted apart from the policy");
  });

  test("selection layers compose: rank then vote, rank then critique", async () => {
    const voted = await run(createStrategy("sample:n=6 | rank:k=3 | vote"), {
      model: policy(),
      judge: judge(),
    });
    assert.equal(voted.answer, "3");
    const critiqued = await run(createStrategy("sample:n=6 | rank:k=2 | critique"), {
      model: policy(),
      judge: judge(),
    });
    assert.equal(critiqued.answer, "4");
    assert.deepEqual(stages(critiqued), ["sample", "rank", "critique"]);
  });

  test("a scored layer after sampling: weighted vote and best-of-n", async () => {
    const scorer = new RuleScorer((s) => (s.includes("A:1") ? 1 : 0.1));
    const wv = await run(createStrategy("sample:n=6 | weighted-vote"), { model: policy(), scorer });
    assert.equal(wv.answer, "1");
    const bon = await run(createStrategy("sc:n=6 | bon"), { model: policy(), scorer });
    assert.equal(bon.answer, "1");
    assert.equal(bon.candidates.length, 6, "layers that select add no candidates");
    await assert.rejects(run(createStrategy("sample:n=6 | bon"), { model: policy() }), /needs a scorer/);
  });

  test("a budget spent by the first stage ends the pipeline with its result", async () => {
    // The judge is the policy model, so the ranker's call is refused by the token budget.
    const model = new ScriptedModel((i) => (i >= 0 && i < 6 ? solution(answers[i]!) : "[3]"));
    const result = await run(createStrategy("sample:n=6 | rank | fuse"), {
      model,
      budget: { maxCompletionTokens: 6 * 11 }, // exactly the six samples (10 characters + end of text)
    });
    assert.equal(result.stopReason, "budget");
    assert.equal(result.candidates.length, 6);
    assert.equal(result.answer, "1", "the sample stage's answer: its first candidate");
    assert.equal(result.usage.completionTokens, 66);
  });

  test("an abort before a layer ends the pipeline as aborted", async () => {
    const controller = new AbortController();
    const model = new ScriptedModel((i) => {
      if (i === 5) controller.abort();
      return solution(answers[i] ?? "0");
    });
    const result = await run(createStrategy("sample:n=6 | rank | fuse"), {
      model,
      judge: judge(),
      signal: controller.signal,
    });
    assert.equal(result.stopReason, "aborted");
  });
});

describe("judge layers through the embedded model (garbage judge)", () => {
  let model: LlamaCppModel;
  before(async () => {
    // The tiny model cannot follow instructions; a longer context makes room for judge prompts.
    model = await LlamaCppModel.load({
      model: embeddedModels.policy,
      parallel: 4,
      gpu: false,
      contextSize: 2048,
    });
  });
  after(async () => {
    await model.close();
  });

  test("sample | rank | critique | fuse runs, parses robustly, falls back, and accounts usage", async () => {
    const [problem] = arithProblems(4, 1);
    const result = await runStrategy(
      createStrategy(
        "sample:n=3 | rank:k=2,judgeMaxTokens=20 | critique:judgeMaxTokens=30 | fuse:judgeMaxTokens=40",
      ),
      problem!,
      arithOptions(model),
    );
    assert.equal(result.stopReason, "completed");
    const roots = result.trace.filter((n) => n.parent === null);
    assert.deepEqual(
      roots.map((n) => n.meta?.layer ?? "sample"),
      ["sample", "rank", "critique", "fuse"],
    );
    const rank = roots[1]!.meta!;
    assert.equal(typeof rank.reply, "string");
    assert.equal((rank.ranking as number[]).length, 3, "a full order, parsed or by fallback");
    // The judge is the policy model: its tokens are policy usage. Every generated token is either a
    // sample or a judge reply.
    const samples = result.trace.filter((n) => n.parent === roots[0]!.id).reduce((s, n) => s + n.tokens, 0);
    const judgeTokens = roots.slice(1).reduce((s, n) => s + (n.meta!.judgeTokens as number), 0);
    assert.equal(result.usage.completionTokens, samples + judgeTokens);
    assert.equal(result.usage.calls, 1 + 1 + 2 + 1);
    assert.ok(result.chosen >= 0 && result.chosen < result.candidates.length);
    assert.equal(result.answer, result.candidates[result.chosen]!.answer);
  });

  test("a separate judge is counted in scorerUsage; pairwise ranking runs", async () => {
    const [problem] = arithProblems(4, 1);
    const result = await runStrategy(
      createStrategy("rank:n=3,mode=pairwise,judgeMaxTokens=8"),
      problem!,
      arithOptions(model, { judge: model }),
    );
    assert.equal(result.scorerUsage.calls, 3);
    assert.ok(result.scorerUsage.completionTokens > 0);
    assert.equal(
      result.usage.completionTokens,
      result.candidates.reduce((s, c) => s + c.completionTokens, 0),
    );
  });
});
