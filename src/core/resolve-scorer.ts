/**
 * The one place that decides which scorer a run gets and fails when a strategy needs one and none is
 * given. The CLI's `run` and `eval`, the eval runner, `runStrategy`, the strategies' own defensive
 * checks and the server all ask this function.
 */
import { ScorerRequiredError } from "./errors.js";
import type { Strategy } from "./strategy.js";

/** What {@link resolveScorer} reads of a strategy: its spec and whether it cannot run without a scorer. */
export type ScorerNeed = Pick<Strategy, "spec" | "needsScorer">;

/** Where the scorer may come from. `S` is what a scorer is to the caller: a spec or an opened scorer. */
export interface ScorerChoice<S> {
  /** The scorer the caller named; used whenever given, needed or not. */
  given?: S | undefined;
  /**
   * Used when none is given and a strategy needs one: e.g. the embedded generative PRM with the
   * embedded policy, or a server's default scorer. Absent: a strategy that needs a scorer fails.
   */
  fallback?: S | undefined;
  /** What the user does to give one, in the error: e.g. "pass --scorer SPEC". */
  hint: string;
}

/**
 * The scorer for a run of `strategies`: `given` when there is one, else `fallback` when any strategy
 * needs a scorer, else none. Throws {@link ScorerRequiredError} naming the strategies that need a
 * scorer when there is neither.
 */
export function resolveScorer<S>(
  strategies: ScorerNeed | readonly ScorerNeed[],
  choice: ScorerChoice<S>,
): S | undefined {
  if (choice.given !== undefined) return choice.given;
  const needing = (Array.isArray(strategies) ? strategies : [strategies as ScorerNeed])
    .filter((s) => s.needsScorer)
    .map((s) => s.spec);
  if (needing.length === 0) return undefined;
  if (choice.fallback !== undefined) return choice.fallback;
  throw new ScorerRequiredError(needing, { hint: choice.hint });
}
