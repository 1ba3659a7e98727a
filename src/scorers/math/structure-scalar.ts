/**
 * The leaves of an answer: a scalar parsed by {@link parseExpression} (a `±` gives a list of its
 * readings), or text when it is not math. Counts items against the answer's limit.
 */
import { exactValue } from "./evaluate.js";
import {
  type Expr,
  expandPlusMinus,
  freeVariables,
  MathParseError,
  mentionsInfinity,
  parseExpression,
  showExpr,
} from "./latex.js";
import { type Answer, AnswerLimitError, type Scalar, type StructureLimits } from "./structure-types.js";

/** What one answer's parse counts across its leaves. */
export interface ParseState {
  /** Scalar items read so far. */
  items: number;
}

/** `s` as a scalar (or the list of its `±` readings), or as text when it does not parse. */
export function scalarOrText(s: string, limits: StructureLimits, state: ParseState): Answer {
  let expr: Expr;
  try {
    expr = parseExpression(s, { maxNodes: limits.maxNodes, maxDepth: limits.maxDepth });
  } catch (err) {
    if (err instanceof MathParseError) {
      if (err.limit) throw new AnswerLimitError(err.message);
      return { kind: "text", text: s };
    }
    throw err;
  }
  const readings = expandPlusMinus(expr);
  state.items += readings.length;
  if (state.items > limits.maxItems) throw new AnswerLimitError("too many items");
  const scalars: Answer[] = readings.map((r) => ({ kind: "scalar", value: makeScalar(r) }));
  return scalars.length === 1 ? scalars[0]! : { kind: "list", items: scalars };
}

/** Builds a {@link Scalar} from a ±-free expression. */
export function makeScalar(expr: Expr): Scalar {
  return {
    expr,
    shown: showExpr(expr),
    infinite: mentionsInfinity(expr),
    rational: exactValue(expr),
    variables: freeVariables(expr),
  };
}
