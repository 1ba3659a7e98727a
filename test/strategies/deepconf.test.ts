import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CapabilityError } from "../../src/core/errors.js";
import type { Candidate } from "../../src/core/strategy.js";
import { confidenceVotes } from "../../src/strategies/deepconf.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import {
  arithOptions,
  arithProblems,
  candidateTokens,
  run,
  ScriptedModel,
  type ScriptedSample,
} from "./fixtures.js";

/**
 * A 28-character trace with a constant token logprob, optionally a bad stretch of 8 tokens at 8..15.
 * Its body letter tells traces apart (the scripted model continues a prefix by matching it).
 */
function trace(letter: string, answer: string, logprob: number, badStretch = false): ScriptedSample {
  const text = `${letter.repeat(24)}A:${answer}\n`;
  const lps = [...text].map((_, i) => (badStretch && i >= 8 && i < 16 ? -4 : logprob));
  return { text, logprob: lps };
}

const script: ScriptedSample[] = [
  // Warm-up: answer 5 with falling confidence.
  trace("a", "5", -0.05),
  trace("b", "5", -0.1),
  trace("c", "5", -0.6),
  trace("d", "5", -0.8),
  // Online.
  trace("e", "6", -0.05),
  trace("f", "7", -0.05, true), // confident except a bad stretch: stopped during generation
  trace("g", "6", -0.05),
  trace("h", "6", -0.08),
];

const exact = (a: string, b: string) => a === b;
const spec = "deepconf:n=8,warmup=4,keep=0.5,window=4,chunk=4,consensus=2,topLogprobs=3,batch=4";

describe("deepconf strategy (scripted)", () => {
  test("threshold from the warm-up, early termination during generation, weighted vote", async () => {
    const model = new ScriptedModel((i) => script[i]!);
    const result = await run(createStrategy(spec), {
      model,
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    const root = result.trace.find((n) => n.parent === null)!;
    const threshold = root.meta!.threshold as number;
    assert.ok(Number.isFinite(threshold));
    // Warm-up traces are the first four candidates; half of them clear the threshold (keep=0.5).
    const warm = result.candidates.slice(0, 4);
    assert.equal(warm.filter((c) => c.confidence! >= threshold).length, 2);
    // The trace with the bad stretch was stopped during generation, right after the chunk that
    // completed a window inside the stretch, long before its 29 tokens.
    const stopped = result.candidates.find((c) => c.text.startsWith("ffff"))!;
    assert.ok(stopped, "the stopped trace is recorded");
    assert.ok(stopped.completionTokens <= 12, `stopped at ${stopped.completionTokens}`);
    assert.ok(stopped.confidence! < threshold);
    const stoppedNode = result.trace.find((n) => n.meta?.stoppedAt !== undefined)!;
    assert.equal(stoppedNode.status, "pruned");
    // Generation went chunk by chunk, continuing prefixes.
    assert.ok(model.requests.filter((r) => r.prefix).every((r) => r.maxTokens! <= 4));
    assert.ok(model.requests.some((r) => r.prefix));
    // The vote: voters are the warm-up traces above the threshold and the online traces that finished.
    const voters = result.trace
      .filter((n) => n.parent !== null && n.status !== "pruned")
      .map((n) => result.candidates.find((c) => c.text === n.text && c.confidence === n.meta?.confidence)!);
    const votes = confidenceVotes(voters as Candidate[], exact);
    assert.deepEqual(root.meta!.votes, votes);
    const best = Object.entries(votes).sort((a, b) => b[1] - a[1])[0]![0];
    assert.equal(result.answer, best);
    assert.equal(result.answer, "6");
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.equal(result.stopReason, "completed");
  });

  test("consensus stops early once the leading answer holds enough of the weighted vote", async () => {
    const model = new ScriptedModel((i) => trace(String.fromCharCode(97 + i), "5", -0.1));
    const result = await run(
      createStrategy("deepconf:n=32,warmup=4,keep=0.9,window=4,chunk=4,consensus=0.95,topLogprobs=3"),
      { model, defaults: { maxTokens: 100, stepDelimiter: "\n" } },
    );
    assert.equal(result.answer, "5");
    assert.equal(result.stopReason, "early-stop");
    assert.equal(result.candidates.length, 4, "decided by the warm-up alone");
  });

  test("no voter (no answers): plain majority over complete traces, or null", async () => {
    const model = new ScriptedModel(() => ({ text: "no answer\n", logprob: -0.2 }));
    const result = await run(createStrategy("deepconf:n=6,warmup=3,window=4,chunk=4,topLogprobs=3"), {
      model,
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    assert.equal(result.answer, null);
    assert.equal(result.chosen, -1);
  });

  test("the budget ends the online phase with the vote so far", async () => {
    const model = new ScriptedModel((i) => script[i % script.length]!);
    const result = await run(createStrategy(spec), {
      model,
      budget: { maxCompletionTokens: 140 },
      defaults: { maxTokens: 100, stepDelimiter: "\n" },
    });
    assert.equal(result.stopReason, "budget");
    assert.ok(result.usage.completionTokens <= 140);
    assert.equal(result.answer, "5", "the warm-up voters decide");
  });

  test("needs logprobs", async () => {
    const model = new ScriptedModel(() => trace("a", "1", -0.1), { logprobs: false });
    await assert.rejects(run(createStrategy("deepconf"), { model }), CapabilityError);
  });
});

describe("deepconf on the embedded model", () => {
  const policy = usePolicy(8);

  test("voters clear the threshold, stopped traces fell below it, usage adds up", async () => {
    const [problem] = arithProblems(6, 1);
    const result = await runStrategy(
      createStrategy("deepconf:n=16,warmup=6,keep=0.5,window=6,chunk=8,consensus=2"),
      problem!,
      arithOptions(policy()),
    );
    const root = result.trace.find((n) => n.parent === null)!;
    const threshold = root.meta!.threshold as number;
    assert.ok(Number.isFinite(threshold) && threshold > 0);
    assert.ok(result.candidates.length >= 6 && result.candidates.length <= 16);
    for (const node of result.trace) {
      if (node.parent === null) continue;
      const confidence = node.meta!.confidence as number;
      if (node.meta!.stoppedAt !== undefined) assert.ok(confidence < threshold);
      if (node.meta!.votes === true) assert.ok(confidence >= threshold);
    }
    assert.equal(result.usage.completionTokens, candidateTokens(result));
    assert.ok(result.usage.completionTokens <= 16 * 60);
    if (result.answer !== null) assert.ok(result.candidates.some((c) => c.answer === result.answer));
  });
});
