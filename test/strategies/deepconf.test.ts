import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CapabilityError } from "../../src/core/errors.js";
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

/**
 * Token confidence with topLogprobs=3 on the scripted model: minus the mean of the sampled token's
 * logprob lp and two alternatives sharing the remaining mass, log((1 − e^lp) / 2) each (when lp is
 * below that share, three alternatives of log((1 − e^lp) / 3)). Computed by hand from that rule:
 */
const CONFIDENCE = {
  "-0.05": 2.4925168597448817, // (0.05 + 2 · 3.71370) / 3
  "-0.1": 2.0635437610693574,
  "-0.6": 1.1926783659375098,
  "-0.8": 1.1265099064992805,
  "-0.08": 2.1990727816148743,
  "-4": 1.1170977354939964, // −log(0.981684 / 3)
};
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
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
    // The 0.5 quantile of the warm-up confidences, interpolated between the 2nd and 3rd lowest.
    assert.ok(near(threshold, (CONFIDENCE["-0.6"] + CONFIDENCE["-0.1"]) / 2), String(threshold));
    // Warm-up traces are the first four candidates, each with its constant token confidence.
    const warm = result.candidates.slice(0, 4);
    const expected = [CONFIDENCE["-0.05"], CONFIDENCE["-0.1"], CONFIDENCE["-0.6"], CONFIDENCE["-0.8"]];
    for (const [i, c] of expected.entries()) {
      assert.ok(near(warm[i]!.confidence!, c), `warm-up ${i}: ${warm[i]!.confidence}`);
    }
    // The trace with the bad stretch (tokens 8–15) was stopped during generation after the third
    // chunk of 4, whose window 8–11 lies inside the stretch: 12 of its 29 tokens.
    const stopped = result.candidates.find((c) => c.text.startsWith("ffff"))!;
    assert.ok(stopped, "the stopped trace is recorded");
    assert.equal(stopped.completionTokens, 12);
    assert.ok(near(stopped.confidence!, CONFIDENCE["-4"]));
    const stoppedNode = result.trace.find((n) => n.meta?.stoppedAt !== undefined)!;
    assert.equal(stoppedNode.status, "pruned");
    assert.equal(stoppedNode.meta!.stoppedAt, 12);
    // Generation went chunk by chunk, continuing prefixes.
    assert.ok(model.requests.filter((r) => r.prefix).every((r) => r.maxTokens! <= 4));
    assert.ok(model.requests.some((r) => r.prefix));
    // The vote: the two warm-up traces above the threshold (answer 5) and the three online traces
    // that finished (answer 6), each weighted by its confidence.
    const votes = root.meta!.votes as Record<string, number>;
    assert.deepEqual(Object.keys(votes), ["5", "6"]);
    assert.ok(near(votes["5"]!, CONFIDENCE["-0.05"] + CONFIDENCE["-0.1"]), `${votes["5"]}`);
    assert.ok(near(votes["6"]!, 2 * CONFIDENCE["-0.05"] + CONFIDENCE["-0.08"]), `${votes["6"]}`);
    assert.equal(result.answer, "6");
    // Its most confident member, the first of the two at −0.05: warm-up 0–3, stopped f, then e.
    assert.equal(result.chosen, 5);
    assert.ok(result.candidates[5]!.text.startsWith("eee"));
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

  test("no voter: the plain majority over the complete traces", async () => {
    // The two confident warm-up traces give no answer, so they cannot vote; the two below the
    // threshold are complete and answer 5 and 5. No online phase (n = warmup).
    const noAnswer = (letter: string, logprob: number): ScriptedSample => ({
      text: `${letter.repeat(24)}\n`,
      logprob,
    });
    const script = [noAnswer("a", -0.05), noAnswer("b", -0.1), trace("c", "5", -0.6), trace("d", "5", -0.8)];
    const model = new ScriptedModel((i) => script[i]!);
    const result = await run(
      createStrategy("deepconf:n=4,warmup=4,keep=0.5,window=4,chunk=4,topLogprobs=3"),
      {
        model,
        defaults: { maxTokens: 100, stepDelimiter: "\n" },
      },
    );
    const root = result.trace.find((n) => n.parent === null)!;
    assert.deepEqual(root.meta!.votes, {}, "nobody votes");
    assert.ok(near(root.meta!.threshold as number, (CONFIDENCE["-0.6"] + CONFIDENCE["-0.1"]) / 2));
    assert.equal(result.answer, "5");
    assert.equal(result.chosen, 2, "the majority answer's first complete trace");
    assert.equal(result.stopReason, "completed");
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
