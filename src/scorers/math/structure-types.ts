/** The parsed shape of an answer ({@link Answer}) and the limits a parse runs under. */
import type { ConventionSet } from "./conventions.js";
import type { Rational } from "./evaluate.js";
import type { Expr } from "./latex.js";

/** A parsed scalar with what comparisons need, computed once. */
export interface Scalar {
  readonly expr: Expr;
  /** Canonical rendering (used for infinities, which compare by form). */
  readonly shown: string;
  readonly infinite: boolean;
  /** Exact value for plain arithmetic on literals, else null. */
  readonly rational: Rational | null;
  readonly variables: readonly string[];
}

/** A parsed answer. */
export type Answer =
  | { readonly kind: "scalar"; readonly value: Scalar }
  /** A bare comma list or the two readings of `±`: compared as a multiset (order-insensitive). */
  | { readonly kind: "list"; readonly items: readonly Answer[] }
  /** `\{…\}`: order- and duplicate-insensitive. */
  | { readonly kind: "set"; readonly items: readonly Answer[] }
  /** `(a,b)`, `[a,b)`, `(a,b,c)`: ordered; with two items the brackets matter (intervals). */
  | {
      readonly kind: "tuple";
      readonly open: "(" | "[";
      readonly close: ")" | "]";
      readonly items: readonly Answer[];
    }
  | { readonly kind: "union"; readonly items: readonly Answer[] }
  | { readonly kind: "matrix"; readonly rows: readonly (readonly Answer[])[] }
  /** An equation that is not `variable = value` (those reduce to the value), e.g. a plane. */
  | { readonly kind: "equation"; readonly left: Scalar; readonly right: Scalar }
  /**
   * `label = value` (`x = 5`, `(p,q) = (3,2)`, `AB = 4`): compares as its value, except against an
   * equation, where `left = value` is compared as an equation (`y = -\frac12x + \frac34` ≡ `2x+4y-3=0`).
   */
  | {
      readonly kind: "assignment";
      readonly label: string;
      readonly left: Scalar | null;
      readonly value: Answer;
    }
  /** `4210_{5}`: digits in a base. */
  | { readonly kind: "base"; readonly digits: string; readonly base: number }
  | { readonly kind: "text"; readonly text: string };

/** Limits on one parsed answer. */
export interface StructureLimits {
  /** Most scalar items in one answer (default 200). */
  maxItems: number;
  /** Most expression nodes per scalar (default 400). */
  maxNodes: number;
  /** Most nested expression groups (default 48). */
  maxDepth: number;
  /** Conventions in force (assignments, inequalities as intervals, …). */
  conventions: ConventionSet;
}

/** The answer broke a size limit (too many items, nodes or nesting): compare as unequal. */
export class AnswerLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnswerLimitError";
  }
}
