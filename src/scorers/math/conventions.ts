/**
 * The grading conventions that change a verdict, by name. Each is on by default and can be switched off
 * per comparison (`MathEqualOptions.conventions`) or per dataset (its grading configuration); docs/
 * evaluation.md lists them with an example each.
 */

/** Names of the switchable conventions. */
export type GradingConvention =
  /** `10\%` also equals `0.1` (it always equals `10`). */
  | "percentAsFraction"
  /** Trailing units (`5 cm`, `\text{ dollars}`), currency signs and degree signs are ignored. */
  | "units"
  /** `1,22` equals `1.22` when the other answer is that decimal written with a point. */
  | "decimalComma"
  /** `x = 5`, `(p,q) = (3,2)`, `AB = 4` are their right-hand sides; `x = 2+3 = 5` its last side. */
  | "assignments"
  /** One-variable inequalities are intervals: `x > 2` ≡ `(2, \infty)`, `-x > -1` ≡ `x < 1`. */
  | "inequalityIntervals"
  /** A bare list (`1, 2`) is order-insensitive unless the other side is a `(…)` tuple and the gold is it. */
  | "unorderedLists"
  /** Degrees inside trigonometric functions are converted: `\sin 30^\circ` ≡ `\frac12`. */
  | "degreesInTrig"
  /** `4210_5` also equals the bare digits `4210`. */
  | "baseDigits"
  /** Text answers ignore case: `\text{East}` ≡ `east`. */
  | "textCase";

/** Every convention, in documentation order. */
export const GRADING_CONVENTIONS: readonly GradingConvention[] = [
  "percentAsFraction",
  "units",
  "decimalComma",
  "assignments",
  "inequalityIntervals",
  "unorderedLists",
  "degreesInTrig",
  "baseDigits",
  "textCase",
];

/** Which conventions apply (all true unless switched off). */
export type ConventionSet = Readonly<Record<GradingConvention, boolean>>;

const ALL_ON: ConventionSet = Object.freeze(
  Object.fromEntries(GRADING_CONVENTIONS.map((c) => [c, true])) as Record<GradingConvention, boolean>,
);

/** Resolves a partial switch map (unknown keys are ignored) to a full set; all on by default. */
export function resolveConventions(switches?: Partial<Record<GradingConvention, boolean>>): ConventionSet {
  if (!switches) return ALL_ON;
  const out = { ...ALL_ON };
  for (const c of GRADING_CONVENTIONS) if (switches[c] === false) out[c] = false;
  return out;
}

/** A short key of the switched-off conventions (for caches). Empty when all are on. */
export function conventionsKey(set: ConventionSet): string {
  if (set === ALL_ON) return "";
  return GRADING_CONVENTIONS.filter((c) => !set[c]).join(",");
}
