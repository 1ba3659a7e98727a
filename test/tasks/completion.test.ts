import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { statesArithAnswer } from "../../src/tasks/arith/index.js";
import { closesCodeBlock, statesMathAnswer } from "../../src/tasks/completion.js";

describe("tasks' completeness tests", () => {
  it("math: an explicit final answer form completes a solution; a bare number does not", () => {
    for (const text of [
      "So the total is \\boxed{12}.\n",
      "3 + 4 = 7\n#### 7\n",
      "Thus the answer is 42.\n",
      "57+38=95\nA: 95\n",
    ]) {
      assert.equal(statesMathAnswer(text), true, text);
    }
    for (const text of ["3 + 4 = 7\n", "We have 12 apples.\n", ""]) {
      assert.equal(statesMathAnswer(text), false, text);
    }
  });

  it("arith: an A:<integer> line completes a solution", () => {
    assert.equal(statesArithAnswer("57+38=95\nA:95\n"), true);
    assert.equal(statesArithAnswer("57+38=95\nA:-3"), true);
    assert.equal(statesArithAnswer("57+38=95\n"), false);
    assert.equal(statesArithAnswer("A:\n"), false);
  });

  it("code: a fenced block opened and closed completes a solution; an open one does not", () => {
    assert.equal(closesCodeBlock("Here:\n```python\ndef f():\n    return 1\n```\n"), true);
    assert.equal(closesCodeBlock("```\nx = 1\n  ```"), true, "an indented closing fence, no newline");
    assert.equal(closesCodeBlock("Here:\n```python\ndef f():\n    return 1\n"), false);
    assert.equal(closesCodeBlock("Use ``` to open a block.\n"), false, "a fence inside a line");
    assert.equal(closesCodeBlock("def f():\n    return 1\n"), false, "no fences: the model's end decides");
    // Math-looking lines inside code do not end it.
    assert.equal(closesCodeBlock("```python\n# The answer is 3\n#### 3\n"), false);
  });
});
