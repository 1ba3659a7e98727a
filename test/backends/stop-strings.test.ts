import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { earliestStop } from "../../src/backends/llama-cpp/generate.js";

describe("earliestStop", () => {
  test("finds the first stop string at or after the offset", () => {
    assert.deepEqual(earliestStop("ab\ncd\n", ["\n"], 0), { index: 2, stop: "\n" });
    assert.deepEqual(earliestStop("ab\ncd\n", ["\n"], 3), { index: 5, stop: "\n" });
    assert.deepEqual(earliestStop("xxENDyy#", ["#", "END"], 0), { index: 2, stop: "END" });
    assert.equal(earliestStop("abc", ["\n"], 0), null);
  });
});
