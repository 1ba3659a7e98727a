/**
 * Equivalence of parsed answers by their structure: scalars and equations (./scalar-equivalence.ts),
 * lists and sets as multisets, tuples and intervals in order with their brackets, unions, matrices and
 * vectors, assignments as their values, numbers in other bases, and text by spelling.
 */
import { type CompareContext, tick } from "./equivalence-context.js";
import { equationsEqual, scalarsEqual } from "./scalar-equivalence.js";
import { type Answer, canonicalText, type Scalar } from "./structure.js";

/** Order-insensitive matching: every item of `a` pairs with a distinct equal item of `b`. */
function multisetEqual(a: readonly Answer[], b: readonly Answer[], ctx: CompareContext): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length; j++) {
      if (!used[j] && answersEqual(x, b[j]!, ctx)) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

function dedupe(items: readonly Answer[], ctx: CompareContext): Answer[] {
  const out: Answer[] = [];
  for (const it of items) if (!out.some((o) => answersEqual(o, it, ctx))) out.push(it);
  return out;
}

function orderedEqual(a: readonly Answer[], b: readonly Answer[], ctx: CompareContext): boolean {
  return a.length === b.length && a.every((x, i) => answersEqual(x, b[i]!, ctx));
}

/**
 * Tuples whose items are all assignments with the same labels on both sides compare label by label;
 * null when they are not such tuples.
 */
function labelledEqual(a: readonly Answer[], b: readonly Answer[], ctx: CompareContext): boolean | null {
  if (a.length !== b.length) return null;
  const labels = (items: readonly Answer[]): Map<string, Answer> | null => {
    const out = new Map<string, Answer>();
    for (const it of items) {
      if (it.kind !== "assignment") return null;
      out.set(it.label, it);
    }
    return out.size === items.length ? out : null;
  };
  const la = labels(a);
  const lb = labels(b);
  if (la === null || lb === null) return null;
  for (const [label, item] of la) {
    const other = lb.get(label);
    if (other === undefined) return null;
    if (!answersEqual(item, other, ctx)) return false;
  }
  return true;
}

/** The items of a one-row or one-column matrix; null for other shapes. */
function vectorItems(m: { rows: readonly (readonly Answer[])[] }): Answer[] | null {
  if (m.rows.length === 1) return [...m.rows[0]!];
  if (m.rows.every((r) => r.length === 1)) return m.rows.map((r) => r[0]!);
  return null;
}

/** The answer inside one-item lists (`1` of `(1)` read as a list). */
export function unwrap(a: Answer): Answer {
  return a.kind === "list" && a.items.length === 1 ? unwrap(a.items[0]!) : a;
}

/**
 * A list whose items are all the same answer is that answer: `\boxed{15\frac{39}{40}}, or
 * \boxed{\frac{639}{40}}` states one value twice (lists are sets, as in Math-Verify).
 */
function collapse(a: Answer, ctx: CompareContext): Answer {
  if (a.kind !== "list" || a.items.length < 2 || !ctx.conventions.unorderedLists) return a;
  const first = a.items[0]!;
  return a.items.every((it, i) => i === 0 || answersEqual(first, it, ctx)) ? unwrap(first) : a;
}

/** An assignment compares as its value (see {@link answersEqual} for the equation case). */
function assignedValue(a: Answer): Answer {
  return a.kind === "assignment" ? unwrap(a.value) : a;
}

/** `left = value` of an assignment as an equation, when both sides are scalars. */
function assignmentEquation(a: Answer): { left: Scalar; right: Scalar } | null {
  if (a.kind !== "assignment" || a.left === null) return null;
  const v = unwrap(a.value);
  return v.kind === "scalar" ? { left: a.left, right: v.value } : null;
}

/**
 * Whether `x` (the gold side) equals `y`. Symmetric except where the gold's form decides the convention:
 * a bare gold list is unordered even against a `(…)` tuple, a gold tuple is ordered against a list.
 */
export function answersEqual(x: Answer, y: Answer, ctx: CompareContext): boolean {
  tick(ctx);
  const ux = collapse(unwrap(x), ctx);
  const uy = collapse(unwrap(y), ctx);
  // `y = -\frac12x + \frac34` against the equation `2x + 4y - 3 = 0`: compare as equations.
  if (ux.kind === "equation" || uy.kind === "equation") {
    const ex = ux.kind === "equation" ? ux : assignmentEquation(ux);
    const ey = uy.kind === "equation" ? uy : assignmentEquation(uy);
    return ex !== null && ey !== null && equationsEqual(ex, ey, ctx);
  }
  const a = assignedValue(ux);
  const b = assignedValue(uy);
  if (a !== ux || b !== uy) return answersEqual(a, b, ctx);
  switch (a.kind) {
    case "scalar":
      if (b.kind === "scalar") return scalarsEqual(a.value, b.value, ctx);
      if (b.kind === "set" && b.items.length === 1) return answersEqual(a, b.items[0]!, ctx);
      if (b.kind === "base") return baseEqualsScalar(b, a.value, ctx);
      return false;
    case "list":
      // Bare lists compare as sets, duplicates ignored, as Math-Verify's finite sets do.
      if (b.kind === "list") {
        if (!ctx.conventions.unorderedLists) return orderedEqual(a.items, b.items, ctx);
        // Duplicates only matter when the lengths differ; deduplicating is quadratic, so only then.
        if (a.items.length === b.items.length) return multisetEqual(a.items, b.items, ctx);
        return multisetEqual(dedupe(a.items, ctx), dedupe(b.items, ctx), ctx);
      }
      if (b.kind === "set") return multisetEqual(dedupe(a.items, ctx), dedupe(b.items, ctx), ctx);
      if (b.kind === "tuple") {
        if (b.open !== "(" || b.close !== ")") return false;
        // The gold is a bare list ("enter all solutions"): the order of a tuple answer does not matter.
        return ctx.conventions.unorderedLists
          ? multisetEqual(a.items, b.items, ctx)
          : orderedEqual(a.items, b.items, ctx);
      }
      if (b.kind === "matrix") {
        const v = vectorItems(b);
        return v !== null && orderedEqual(a.items, v, ctx);
      }
      return false;
    case "set":
      if (b.kind === "set" || b.kind === "list")
        return multisetEqual(dedupe(a.items, ctx), dedupe(b.items, ctx), ctx);
      if (a.items.length === 1 && b.kind === "scalar") return answersEqual(a.items[0]!, b, ctx);
      return false;
    case "tuple":
      if (b.kind === "tuple") {
        // `a_3 = 2, a_{37} = 19` against `a_{37} = 19, a_3 = 2`: labelled components match by label.
        const byLabel = labelledEqual(a.items, b.items, ctx);
        if (byLabel !== null) return byLabel;
        if (a.items.length === 2 && (a.open !== b.open || a.close !== b.close)) return false;
        return orderedEqual(a.items, b.items, ctx);
      }
      if (b.kind === "list") return a.open === "(" && a.close === ")" && orderedEqual(a.items, b.items, ctx);
      if (b.kind === "matrix") {
        const v = vectorItems(b);
        return v !== null && orderedEqual(a.items, v, ctx);
      }
      return false;
    case "union":
      return b.kind === "union" && multisetEqual(a.items, b.items, ctx);
    case "matrix": {
      if (b.kind === "matrix") {
        return a.rows.length === b.rows.length && a.rows.every((r, i) => orderedEqual(r, b.rows[i]!, ctx));
      }
      const v = vectorItems(a);
      if (v === null) return false;
      if (b.kind === "tuple" || b.kind === "list") return orderedEqual(v, b.items, ctx);
      return false;
    }
    case "assignment":
      // Handled before the switch.
      return false;
    case "base":
      if (b.kind === "base") {
        if (a.base === b.base && a.digits === b.digits) return true;
        return baseValue(a) !== null && baseValue(a) === baseValue(b);
      }
      if (b.kind === "scalar") return baseEqualsScalar(a, b.value, ctx);
      return false;
    case "text":
      return (
        b.kind === "text" &&
        canonicalText(a.text, ctx.conventions.textCase) === canonicalText(b.text, ctx.conventions.textCase)
      );
  }
}

function baseValue(a: { digits: string; base: number }): bigint | null {
  let v = 0n;
  for (const ch of a.digits) v = v * BigInt(a.base) + BigInt(Number.parseInt(ch, 36));
  return v;
}

/** `4210_5` matches the bare digits `4210` (and, in base 10, the value). */
function baseEqualsScalar(a: { digits: string; base: number }, s: Scalar, ctx: CompareContext): boolean {
  const r = s.rational;
  if (!r || r.approximate || r.den !== 1n || r.num < 0n) return false;
  return (
    (ctx.conventions.baseDigits && r.num.toString() === a.digits) || (a.base === 10 && r.num === baseValue(a))
  );
}
