/**
 * Search ends a solution by the task's completeness test from the run, not by a math answer format:
 * a code task's solution ends at its closed code block, graded by running its tests.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CompleteSolutionTest, StrategyResult } from "../../../src/core/strategy.js";
import type { EvalProblem } from "../../../src/eval/datasets/types.js";
import { createGrader } from "../../../src/eval/grading.js";
import { createStrategy } from "../../../src/strategies/registry.js";
import { runStrategy } from "../../../src/strategies/run.js";
import { statesMathAnswer } from "../../../src/tasks/completion.js";
import { RuleScorer, ScriptedModel } from "../fixtures.js";

/** The program both samples write; a comment in it reads like a math answer. */
const PROGRAM = "def add(a, b):\n    # The answer is the sum.\n    return a + b\n";
/** A solution: an opening line, the program in a fenced block, then an explanation after it. */
const SAMPLE = `Here is the function.\n\`\`\`python\n${PROGRAM}\`\`\`\nIt returns the sum of a and b.\n`;
const BLOCK_END = SAMPLE.indexOf("```\n", SAMPLE.indexOf("```python")) + 4;

const problem: EvalProblem = {
  id: "add",
  prompt: "Write add(a, b) in Python.\n",
  gold: PROGRAM,
  meta: { tests: ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"] },
};
const code = createGrader("code", { codeTimeoutMs: 10_000, codeConcurrency: 1 });

/** Step-level beam search over a policy that writes {@link SAMPLE}, with the code task's answers. */
async function search(
  isCompleteSolution: CompleteSolutionTest | undefined,
): Promise<{ result: StrategyResult; model: ScriptedModel }> {
  const model = new ScriptedModel(() => SAMPLE);
  const result = await runStrategy(createStrategy("beam:n=2,m=1"), problem, {
    model,
    scorer: new RuleScorer(() => 0.5),
    extractAnswer: code.extractAnswer,
    sameAnswer: code.sameAnswer,
    ...(isCompleteSolution ? { isCompleteSolution } : {}),
    seed: 1,
    defaults: { maxTokens: 400 },
  });
  return { result, model };
}

describe("search ends solutions by the task's completeness test", () => {
  test("a code task: the solution ends at its closed code block, and its program passes the tests", async () => {
    const { result, model } = await search(code.isCompleteSolution);
    assert.equal(result.stopReason, "completed");
    assert.ok(result.candidates.length > 0);
    for (const c of result.candidates) {
      assert.equal(c.text, SAMPLE.slice(0, BLOCK_END), "ends right after the closing fence");
      assert.equal(c.answer, PROGRAM.trimEnd());
      assert.equal(c.completionTokens, BLOCK_END, "one token per character; nothing after the block");
    }
    // Nothing was asked after the block closed, and nothing after it was generated.
    assert.ok(model.requests.every((r) => !(r.prefix ?? "").includes("```\n", 10)));
    assert.ok(result.trace.every((n) => !n.text.includes("It returns")));
    assert.equal(
      result.usage.completionTokens,
      result.trace.reduce((s, n) => s + n.tokens, 0),
    );
    const grade = await code.grade(problem, result.output);
    assert.deepEqual([grade.correct, grade.detail], [true, "passed"]);
  });

  test("a math answer test would end the code inside its block, at the comment", async () => {
    const { result } = await search(statesMathAnswer);
    const cut = SAMPLE.indexOf("    return");
    for (const c of result.candidates) assert.equal(c.text, SAMPLE.slice(0, cut));
    const grade = await code.grade(problem, result.output);
    assert.equal(grade.correct, false);
  });

  test("without a task's test a solution ends where the model ends its text", async () => {
    const { result } = await search(undefined);
    for (const c of result.candidates) {
      assert.equal(c.text, SAMPLE);
      assert.equal(c.finishReason, "stop");
      assert.equal(c.completionTokens, SAMPLE.length + 1, "its end-of-text token included");
    }
    assert.equal((await code.grade(problem, result.output)).correct, true);
  });
});
