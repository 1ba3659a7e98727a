import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { windowUnanimous } from "../../src/strategies/esc.js";
import { createStrategy } from "../../src/strategies/registry.js";
import { runStrategy } from "../../src/strategies/run.js";
import { usePolicy } from "../helpers/models.js";
import { arithOptions, arithProblems, candidateTokens, run, ScriptedModel, solution } from "./fixtures.js";

const exact = (a: string, b: string) => a === b;
const list = (xs: (string | null)[]) => xs.map((answer) => ({ answer }));

describe("windowUnanimous", () => {
  test("looks at the last window only and needs extracted answers", () => {
    assert.equal(windowUnanimous(list(["1", "2", "2", "2"]), 3, exact), true);
    assert.equal(windowUnanimous(list(["2", "2", "1"]), 3, exact), false);
    assert.equal(windowUnanimous(list(["2", "2"]), 3, exact), false, "not a full window yet");
    assert.equal(windowUnanimous(list([null, null, null]), 3, exact), false);
    assert.equal(windowUnanimous(list(["2", null, "2"]), 3, exact), false);
    assert.equal(
      windowUnanimous(list(["0.5", ".5"]), 2, (a, b) => Number(a) === Number(b)),
      true,
    );
  });
});

describe("esc strategy (scripted)", () => {
  test("stops at the first unanimous window and votes over every sample", async () => {
    // Window 1 mixed, window 2 unanimous on 4.
    const answers = ["3", "4", "3", "4", "4", "4", "4", "4"];
    const model = new ScriptedModel((i) => solution(answers[i] ?? "9"));
    const result = await run(createStrategy("esc:n=40,window=4"), { model });
    assert.equal(result.candidates.length, 8);
    assert.equal(result.answer, "4");
    assert.equal(result.stopReason, "early-stop");
    assert.equal(model.requests.length, 2);
    assert.equal(result.usage.completionTokens, candidateTokens(result));
  });

  test("never unanimous: samples to n; ties go to the answer seen first", async () => {
    const model = new ScriptedModel((i) => solution(i % 2 ? "b" : "a"));
    const result = await run(createStrategy("esc:n=10,window=4"), { model });
    assert.equal(result.candidates.length, 10, "the last window is partial");
    assert.equal(result.stopReason, "completed");
    assert.equal(result.answer, "a");
  });

  test("a window with missing answers does not stop it; all missing gives null", async () => {
    const model = new ScriptedModel(() => solution(null));
    const result = await run(createStrategy("esc:n=8,window=4"), { model });
    assert.equal(result.candidates.length, 8);
    assert.equal(result.answer, null);
  });

  test("budget: stops between windows with the vote so far", async () => {
    const model = new ScriptedModel((i) => solution(i % 2 ? "b" : "a"));
    const result = await run(createStrategy("esc:n=40,window=2"), {
      model,
      budget: { maxCompletionTokens: 50 },
    });
    assert.equal(result.stopReason, "budget");
    assert.ok(result.usage.completionTokens <= 50);
    assert.equal(result.answer, "a");
  });
});

describe("esc on the embedded model", () => {
  const policy = usePolicy(8);

  test("windows are prefixes of sc's samples; it stops only on a unanimous window", async () => {
    const [problem] = arithProblems(3, 1);
    const esc = await runStrategy(createStrategy("esc:n=16,window=4"), problem!, arithOptions(policy()));
    const sc = await runStrategy(createStrategy("sc:n=16"), problem!, arithOptions(policy()));
    const k = esc.candidates.length;
    assert.deepEqual(
      esc.candidates.map((c) => c.text),
      sc.candidates.slice(0, k).map((c) => c.text),
    );
    if (k < 16) {
      assert.equal(esc.stopReason, "early-stop");
      assert.ok(windowUnanimous(esc.candidates, 4, exact));
    }
    assert.equal(esc.usage.completionTokens, candidateTokens(esc));
  });
});
