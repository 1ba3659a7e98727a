/**
 * Answers that are relations: assignments (`x = 5`, `(p,q) = (3,2)`), computations (`2 + 3 = 5`),
 * equations (`2x + 4y - 3 = 0`), and inequalities in one variable read as intervals (`1 \le x < 3`).
 */
import { evaluateReal } from "./evaluate.js";
import { type ParseState, scalarOrText } from "./structure-scalar.js";
import { parts, type Separator, type Split } from "./structure-scan.js";
import type { Answer, Scalar, StructureLimits } from "./structure-types.js";

/**
 * Is `s` a lone variable (`x`, `y_1`, `\theta`) or a function value (`f(x)`)? Those are the sides an
 * inequality becomes an interval around.
 */
function isLoneVariable(s: string): boolean {
  if (s === "\\pi" || s === "\\infty" || s === "e" || s === "i") return false;
  return /^(?:[a-zA-Z](?:_\{?[a-zA-Z0-9]+\}?)?|\\[a-zA-Z]+|[a-zA-Z]\s*\(\s*[a-zA-Z]\s*\))$/.test(s);
}

/**
 * Is `s` a label rather than a value: names without digits or arithmetic, as left sides of answers
 * write them (`x`, `(p,q)`, `AB`, `S_{MBCN}:S`, `\frac{NO}{BO}`, `P(x)`, `V_1:V_2`)?
 */
function isLabel(s: string): boolean {
  const t = s.replace(/\s+/g, "");
  if (t === "" || /^(?:\\pi|\\infty|e|i)$/.test(t)) return false;
  // Digits only in subscripts.
  const withoutSubscripts = t.replace(/_\{?[a-zA-Z0-9]+\}?/g, "");
  if (/\d/.test(withoutSubscripts)) return false;
  if (/[+\-*^=<>!/.]|\\(?:cdot|times|sqrt|pm|mp|div|infty|pi)(?![a-zA-Z])/.test(withoutSubscripts))
    return false;
  const core = withoutSubscripts.replace(/\\[a-zA-Z]+/g, "a");
  const letters = core.replace(/[^a-zA-Z]/g, "").length;
  return letters > 0 && letters <= 12 && /^[A-Za-z{}()[\],:|']+$/.test(core);
}

/** The answer stated by a relation of `s`, split at its top-level `relations`; `next` parses a side. */
export function parseRelation(
  s: string,
  relations: readonly Split[],
  limits: StructureLimits,
  state: ParseState,
  next: (part: string) => Answer,
): Answer {
  let ps = parts(s, relations);
  let seps = relations.map((r) => r.sep);
  const conventions = limits.conventions;
  // `x = 1/3 \approx 0.33`: the exact value before the approximation is the answer.
  const approx = seps.indexOf("approx");
  if (approx > 0) {
    ps = ps.slice(0, approx + 1);
    seps = seps.slice(0, approx);
  } else if (approx === 0 && seps.length === 1) {
    seps = ["="];
  }
  if (seps.every((r) => r === "=" || r === "in")) {
    if (conventions.assignments) {
      // `x = 5`, `x \in [1, 2]`, `x = 2 + 3 = 5`: the value is the last side (Math-Verify's last equation).
      if (ps.length >= 3) return next(ps[ps.length - 1]!);
      if (isLabel(ps[0]!)) return assignment(ps[0]!, ps[1]!, limits, state, next);
      if (seps[0] === "=" && isLabel(ps[1]!)) return assignment(ps[1]!, ps[0]!, limits, state, next);
    } else if (seps[0] === "in" && ps.length === 2 && isLoneVariable(ps[0]!)) {
      return next(ps[1]!);
    }
    if (ps.length === 2 && seps[0] === "=") {
      const left = scalarOrText(ps[0]!, limits, state);
      const right = scalarOrText(ps[1]!, limits, state);
      if (left.kind === "scalar" && right.kind === "scalar") {
        // `2 + 3 = 5`: a computation, whose value is its result.
        if (
          conventions.assignments &&
          left.value.variables.length === 0 &&
          right.value.variables.length === 0
        )
          return right;
        return { kind: "equation", left: left.value, right: right.value };
      }
    }
    return { kind: "text", text: s };
  }
  if (!conventions.inequalityIntervals) return { kind: "text", text: s };
  // Inequalities in one variable become intervals: `x > 2` → (2, ∞), `1 \le x < 3` → [1, 3).
  const inf = scalarOrText("\\infty", limits, state);
  const negInf = scalarOrText("-\\infty", limits, state);
  const lower = (sep: Separator): "(" | "[" => (sep === "le" ? "[" : "(");
  const upper = (sep: Separator): ")" | "]" => (sep === "le" ? "]" : ")");
  const asLess = (sep: Separator): Separator | null =>
    sep === "<" || sep === "le" ? sep : sep === ">" ? "<" : sep === "ge" ? "le" : null;
  if (ps.length === 2) {
    const sep = seps[0]!;
    const less = asLess(sep);
    if (!less) return { kind: "text", text: s };
    const flipped = sep === ">" || sep === "ge";
    const [small, big] = flipped ? [ps[1]!, ps[0]!] : [ps[0]!, ps[1]!];
    // small < big: `2 < x` is (2, ∞); `x < 2` is (-∞, 2).
    if (isLoneVariable(big))
      return { kind: "tuple", open: lower(less), close: ")", items: [next(small), inf] };
    if (isLoneVariable(small))
      return { kind: "tuple", open: "(", close: upper(less), items: [negInf, next(big)] };
    return linearInequality(small, big, less, limits, state) ?? { kind: "text", text: s };
  }
  if (ps.length === 3 && isLoneVariable(ps[1]!)) {
    const a = asLess(seps[0]!);
    const b = asLess(seps[1]!);
    if (!a || !b) return { kind: "text", text: s };
    const increasing = seps[0] === "<" || seps[0] === "le";
    if (increasing !== (seps[1] === "<" || seps[1] === "le")) return { kind: "text", text: s };
    if (increasing)
      return { kind: "tuple", open: lower(a), close: upper(b), items: [next(ps[0]!), next(ps[2]!)] };
    return { kind: "tuple", open: lower(b), close: upper(a), items: [next(ps[2]!), next(ps[0]!)] };
  }
  return { kind: "text", text: s };
}

function assignment(
  label: string,
  valueText: string,
  limits: StructureLimits,
  state: ParseState,
  next: (part: string) => Answer,
): Answer {
  const value = next(valueText);
  let left: Scalar | null = null;
  if (value.kind === "scalar") {
    const parsed = scalarOrText(label, limits, state);
    if (parsed.kind === "scalar") left = parsed.value;
  }
  return { kind: "assignment", label: label.replace(/\s+/g, ""), left, value };
}

/**
 * `small < big` (or ≤) where both sides are linear in one variable, e.g. `-x > -1`: solved for the
 * variable by evaluating `big - small` at three points. Null when it is not linear in one variable.
 */
function linearInequality(
  small: string,
  big: string,
  less: Separator,
  limits: StructureLimits,
  state: ParseState,
): Answer | null {
  const a = scalarOrText(small, limits, state);
  const b = scalarOrText(big, limits, state);
  if (a.kind !== "scalar" || b.kind !== "scalar") return null;
  const vars = [...new Set([...a.value.variables, ...b.value.variables])];
  if (vars.length !== 1) return null;
  const v = vars[0]!;
  const g = (x: number): number =>
    evaluateReal(b.value.expr, (n) => (n === v ? x : Number.NaN)) -
    evaluateReal(a.value.expr, (n) => (n === v ? x : Number.NaN));
  const g0 = g(0);
  const g1 = g(1);
  const g2 = g(2);
  const slope = g1 - g0;
  if (![g0, g1, g2].every(Number.isFinite) || Math.abs(slope) < 1e-12) return null;
  if (Math.abs(g2 - g0 - 2 * slope) > 1e-9 * Math.max(1, Math.abs(slope))) return null;
  // g(x) = slope·x + g0 > 0 (or ≥): x > root when the slope is positive, x < root otherwise.
  const root = -g0 / slope;
  const rounded = Math.round(root);
  const text = Math.abs(root - rounded) < 1e-12 ? String(rounded) : String(root);
  const endpoint = scalarOrText(text, limits, state);
  const infinity = scalarOrText(slope > 0 ? "\\infty" : "-\\infty", limits, state);
  const closed = less === "le";
  return slope > 0
    ? { kind: "tuple", open: closed ? "[" : "(", close: ")", items: [endpoint, infinity] }
    : { kind: "tuple", open: "(", close: closed ? "]" : ")", items: [infinity, endpoint] };
}
