/**
 * What one comparison of two answers runs under: its tolerances, its conventions and its deadline,
 * checked between steps so that no comparison runs past its time limit.
 */
import type { ConventionSet } from "./conventions.js";

/** The settings and the deadline of one comparison. */
export interface CompareContext {
  /** Relative tolerance for decimals and irrational values. */
  relTol: number;
  /** Absolute tolerance for values computed numerically. */
  absTol: number;
  /** `performance.now()` past which the comparison gives up. */
  deadline: number;
  conventions: ConventionSet;
}

/** The comparison ran past its deadline: the answers count as unequal. */
export class TimeLimitError extends Error {}

/** Throws {@link TimeLimitError} once the comparison's deadline has passed. */
export function tick(ctx: CompareContext): void {
  if (performance.now() > ctx.deadline) throw new TimeLimitError();
}
