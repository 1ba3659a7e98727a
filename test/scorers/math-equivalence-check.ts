/** The shared check of the mathEqual case tables. */
import assert from "node:assert/strict";
import { mathEqual } from "../../src/scorers/math/index.js";

/** One equivalence case: a gold answer, a predicted answer, and whether they must compare equal. */
export type Case = readonly [gold: string, pred: string, expected: boolean];

/** Checks every case in both directions: equivalence must not depend on which side is gold. */
export function check(cases: readonly Case[]): void {
  for (const [gold, pred, expected] of cases) {
    assert.equal(
      mathEqual(gold, pred),
      expected,
      `mathEqual(${JSON.stringify(gold)}, ${JSON.stringify(pred)})`,
    );
    assert.equal(
      mathEqual(pred, gold),
      expected,
      `mathEqual(${JSON.stringify(pred)}, ${JSON.stringify(gold)})`,
    );
  }
}
