/**
 * The shape of an answer: a scalar, a list (`1, 2`), a set (`\{1,2\}`), a tuple or interval
 * (`(1,2)`, `[0,1)`), a union of intervals, a matrix, an equation, a number in another base, or text.
 * Scalars are parsed by {@link parseExpression}; everything this layer cannot read becomes `text`, which
 * compares by normalised spelling. Parsing is bounded in items, nesting and expression size.
 */
import type { ConventionSet } from "./conventions.js";
import { evaluateReal, exactValue, type Rational } from "./evaluate.js";
import {
  type Expr,
  expandPlusMinus,
  freeVariables,
  MathParseError,
  mentionsInfinity,
  parseExpression,
  showExpr,
} from "./latex.js";

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

type Separator = "," | ";" | "=" | "<" | ">" | "le" | "ge" | "ne" | "in" | "approx" | "cup";
interface Split {
  index: number;
  length: number;
  sep: Separator;
}

const RELATIONS: ReadonlySet<Separator> = new Set(["=", "<", ">", "le", "ge", "ne", "in", "approx"]);
const SEPARATOR_COMMANDS: ReadonlySet<string> = new Set(["le", "ge", "ne", "in", "approx", "cup"]);
const OPEN_COMMANDS = new Set(["{", "begin", "lfloor", "lceil"]);
const CLOSE_COMMANDS = new Set(["}", "end", "rfloor", "rceil"]);

/**
 * Top-level separators of `s` (outside any bracket). Brackets are counted, not matched, so an interval
 * such as `[0,1)` nests correctly. Also reports where the group opened by the first character closes.
 */
function scan(s: string): { splits: Split[]; firstGroupEnd: number } {
  const splits: Split[] = [];
  let depth = 0;
  let firstGroupEnd = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      let j = i + 1;
      while (j < s.length && /[a-zA-Z]/.test(s[j]!)) j++;
      const name = j === i + 1 ? (s[i + 1] ?? "") : s.slice(i + 1, j);
      const end = j === i + 1 ? i + 2 : j;
      if (OPEN_COMMANDS.has(name)) depth++;
      else if (CLOSE_COMMANDS.has(name)) {
        depth--;
        if (depth === 0 && firstGroupEnd < 0) firstGroupEnd = end;
      } else if (depth === 0 && SEPARATOR_COMMANDS.has(name)) {
        splits.push({ index: i, length: end - i, sep: name as Separator });
      }
      i = end - 1;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0 && firstGroupEnd < 0) firstGroupEnd = i + 1;
    } else if (depth === 0 && (c === "," || c === ";" || c === "=" || c === "<" || c === ">")) {
      splits.push({ index: i, length: 1, sep: c });
    }
  }
  return { splits, firstGroupEnd };
}

function parts(s: string, splits: readonly Split[]): string[] {
  const out: string[] = [];
  let start = 0;
  for (const sp of splits) {
    out.push(s.slice(start, sp.index).trim());
    start = sp.index + sp.length;
  }
  out.push(s.slice(start).trim());
  return out;
}

const THOUSANDS = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const SPACED_THOUSANDS = /^[-+]?\d{1,3}(?: \d{3})+(?:\.\d+)?$/;
const BASE_NUMBER = /^([0-9A-Za-z]+)_\{?(\d{1,2})\}?$/;
const MATRIX = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}([\s\S]*)\\end\{\1\}$/;
/** A matrix inside brackets, as `\left[\begin{array}…\end{array}\right]` leaves it. */
const BRACKETED_MATRIX = /^[[(]\s*(\\begin\{([pbBvV]?matrix|smallmatrix|array)\}[\s\S]*\\end\{\2\})\s*[\])]$/;

/** Parses normalised answer text into an {@link Answer}. Throws {@link AnswerLimitError} on limits. */
export function parseAnswer(text: string, limits: StructureLimits): Answer {
  const state = { items: 0 };
  return parseNode(text.trim(), limits, state, 0);
}

function parseNode(s: string, limits: StructureLimits, state: { items: number }, depth: number): Answer {
  if (depth > 12) throw new AnswerLimitError("answer nested too deeply");
  if (s === "") return { kind: "text", text: "" };
  if (THOUSANDS.test(s)) return scalarOrText(s.replace(/,/g, ""), limits, state);
  if (SPACED_THOUSANDS.test(s)) return scalarOrText(s.replace(/ /g, ""), limits, state);

  const { splits, firstGroupEnd } = scan(s);
  const next = (part: string): Answer => parseNode(part, limits, state, depth + 1);

  const semicolons = splits.filter((sp) => sp.sep === ";");
  const commas = splits.filter((sp) => sp.sep === ",");
  if (semicolons.length > 0 && commas.length > 0) {
    // `p=5,q=2; p=7,q=2`: semicolons separate solutions, commas their components.
    const groups = parts(s, semicolons)
      .filter((p) => p !== "")
      .map(next);
    return { kind: "list", items: groups };
  }
  const separators = semicolons.length > 0 ? semicolons : commas;
  if (separators.length > 0) {
    const items = flattenLists(
      parts(s, separators)
        .filter((p) => p !== "")
        .map(next),
    );
    // `x = 1, y = 2` or `AB = 4, CD = 5` (distinct labels) is an ordered tuple of components;
    // `x = 1, x = 2` (one label) is a list of solutions.
    if (items.length > 1 && items.every((it) => it.kind === "assignment")) {
      const labels = new Set(items.map((it) => (it.kind === "assignment" ? it.label : "")));
      if (labels.size === items.length) return { kind: "tuple", open: "(", close: ")", items };
    }
    return { kind: "list", items };
  }

  const relations = splits.filter((sp) => RELATIONS.has(sp.sep));
  if (relations.length > 0) return parseRelation(s, relations, limits, state, next);

  const cups = splits.filter((sp) => sp.sep === "cup");
  if (cups.length > 0) return { kind: "union", items: parts(s, cups).map(next) };

  const bracketed = BRACKETED_MATRIX.exec(s);
  if (bracketed) return next(bracketed[1]!);
  const matrix = MATRIX.exec(s);
  if (matrix) return parseMatrix(matrix[1]!, matrix[2]!, next);

  const base = BASE_NUMBER.exec(s);
  if (base && isBaseNumber(base[1]!, Number(base[2]))) {
    return { kind: "base", digits: base[1]!.toUpperCase().replace(/^0+(?=.)/, ""), base: Number(base[2]) };
  }

  if (s === "\\emptyset" || s === "\\{\\}" || s === "\\{ \\}") return { kind: "set", items: [] };
  if (s.startsWith("\\{") && s.endsWith("\\}") && firstGroupEnd === s.length) {
    const inner = s.slice(2, -2).trim();
    if (inner === "") return { kind: "set", items: [] };
    const parsed = next(inner);
    return { kind: "set", items: parsed.kind === "list" ? parsed.items : [parsed] };
  }
  const open = s[0];
  const close = s[s.length - 1];
  if ((open === "(" || open === "[" || open === "{") && firstGroupEnd === s.length) {
    const inner = s.slice(1, -1).trim();
    const innerSplits = scan(inner).splits.filter((sp) => sp.sep === "," || sp.sep === ";");
    if (innerSplits.length > 0) {
      const items = parts(inner, innerSplits).map(next);
      // Plain braces are TeX grouping: `{1, 3}` is the list `1, 3` (Math-Verify reads it so).
      if (open === "{" && close === "}") return { kind: "list", items: flattenLists(items) };
      if ((open === "(" || open === "[") && (close === ")" || close === "]")) {
        return { kind: "tuple", open, close, items };
      }
    }
  }
  return scalarOrText(s, limits, state);
}

function flattenLists(items: Answer[]): Answer[] {
  return items.flatMap((it) => (it.kind === "list" ? it.items : [it]));
}

function isBaseNumber(digits: string, base: number): boolean {
  if (base < 2 || base > 36 || !/\d/.test(digits)) return false;
  for (const ch of digits.toUpperCase()) {
    const v = Number.parseInt(ch, 36);
    if (Number.isNaN(v) || v >= base) return false;
  }
  return true;
}

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

function parseRelation(
  s: string,
  relations: readonly Split[],
  limits: StructureLimits,
  state: { items: number },
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
  state: { items: number },
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
  state: { items: number },
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

function parseMatrix(env: string, body: string, next: (part: string) => Answer): Answer {
  let content = body;
  if (env === "array") content = content.replace(/^\s*\{[^{}]*\}/, "");
  const rows = content
    .split(/\\\\/)
    .map((r) => r.trim())
    .filter((r) => r !== "" && r !== "\\hline")
    .map((r) => r.split("&").map((cell) => next(cell.trim())));
  return { kind: "matrix", rows };
}

function scalarOrText(s: string, limits: StructureLimits, state: { items: number }): Answer {
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

/**
 * The spelling used when math comparison fails: no spaces, braces or backslashes. Case matters (`E` is
 * not `e`) unless `ignoreCase`, which text answers (`\text{East}` vs `east`) use.
 */
export function canonicalText(s: string, ignoreCase = false): string {
  const t = s.replace(/[\s{}\\]/g, "");
  return ignoreCase ? t.toLowerCase() : t;
}
