/**
 * End-to-end runs of the search strategies on the embedded policy and PRM: structural checks that
 * hold whatever the tiny models generate (not accuracy).
 */
import assert from "node:assert/strict";
import type { StrategyResult } from "../../../src/core/strategy.js";
import { scorers } from "../../../src/scorers/registry.js";
import { createStrategy } from "../../../src/strategies/registry.js";
import { runStrategy } from "../../../src/strategies/run.js";
import { extractArithAnswer, statesArithAnswer } from "../../../src/tasks/arith/index.js";
import { ARITH_PROMPT, loadPolicy } from "../../helpers/models.js";

/** Runs `spec` on the arithmetic prompt with the embedded policy and PRM (seed 5, 160 tokens). */
export async function runEmbedded(spec: string): Promise<StrategyResult> {
  const model = await loadPolicy(4);
  const scorer = await scorers.create("prm").open();
  try {
    return await runStrategy(
      createStrategy(spec),
      { prompt: ARITH_PROMPT },
      {
        model,
        scorer,
        extractAnswer: extractArithAnswer,
        isCompleteSolution: statesArithAnswer,
        seed: 5,
        defaults: { maxTokens: 160 },
      },
    );
  } finally {
    await scorer.close?.();
    await model.close();
  }
}

/** What every search run must satisfy: complete candidates with answers, exact tokens, a sound tree. */
export function assertSearchRun(result: StrategyResult): void {
  assert.equal(result.stopReason, "completed");
  assert.ok(result.candidates.length > 0, "some complete solutions");
  assert.ok(result.chosen >= 0 && result.chosen < result.candidates.length);
  assert.equal(result.output, result.candidates[result.chosen]!.text);
  for (const c of result.candidates) {
    assert.equal(c.answer, extractArithAnswer(c.text));
    if (c.finishReason === "stop") assert.notEqual(c.answer, null, `answer of ${JSON.stringify(c.text)}`);
    assert.ok(Number.isFinite(c.score), "scored");
  }
  assert.ok(result.candidates.some((c) => c.answer !== null));
  assert.equal(result.answer, result.candidates[result.chosen]!.answer);
  // Every generated token is in exactly one trace node.
  const traced = result.trace.reduce((sum, node) => sum + node.tokens, 0);
  assert.equal(result.usage.completionTokens, traced);
  // One root; every other node hangs under an earlier one.
  result.trace.forEach((node, id) => {
    assert.equal(node.id, id);
    if (id === 0) assert.equal(node.parent, null);
    else assert.ok(node.parent !== null && node.parent < id, `parent of ${id}`);
  });
  const finals = result.trace.filter((n) => n.status === "final" || n.status === "selected");
  assert.equal(finals.length, result.candidates.length);
  assert.equal(result.trace.filter((n) => n.status === "selected").length, 1);
  // A candidate's text is its trace path.
  for (const node of finals) {
    let text = "";
    for (let at: number | null = node.id; at !== null; at = result.trace[at]!.parent) {
      text = result.trace[at]!.text + text;
    }
    assert.ok(result.candidates.some((c) => c.text === text));
  }
}
