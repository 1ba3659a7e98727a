/**
 * The shape of an answer: a scalar, a list (`1, 2`), a set (`\{1,2\}`), a tuple or interval
 * (`(1,2)`, `[0,1)`), a union of intervals, a matrix, an equation, a number in another base, or text.
 * Scalars are parsed by {@link parseExpression}; everything this layer cannot read becomes `text`, which
 * compares by normalised spelling. Parsing is bounded in items, nesting and expression size.
 *
 * This module reads the structure and is where users import from; the parts live beside it:
 * structure-types.ts (the shapes), structure-scan.ts (top-level separators), structure-scalar.ts (the
 * leaves), structure-relations.ts (assignments, equations, inequalities).
 */
import { parseRelation } from "./structure-relations.js";
import { type ParseState, scalarOrText } from "./structure-scalar.js";
import { parts, RELATIONS, scan } from "./structure-scan.js";
import { type Answer, AnswerLimitError, type StructureLimits } from "./structure-types.js";

export { makeScalar } from "./structure-scalar.js";
export { type Answer, AnswerLimitError, type Scalar, type StructureLimits } from "./structure-types.js";

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

function parseNode(s: string, limits: StructureLimits, state: ParseState, depth: number): Answer {
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

/**
 * The spelling used when math comparison fails: no spaces, braces or backslashes. Case matters (`E` is
 * not `e`) unless `ignoreCase`, which text answers (`\text{East}` vs `east`) use.
 */
export function canonicalText(s: string, ignoreCase = false): string {
  const t = s.replace(/[\s{}\\]/g, "");
  return ignoreCase ? t.toLowerCase() : t;
}
