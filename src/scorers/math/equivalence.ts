/**
 * Mathematical equivalence of two final answers, e.g. `0.5` ≡ `\frac12`, `\{1,2\}` ≡ `\{2,1\}`,
 * `x=5` ≡ `5`, `2\sqrt{2}` ≡ `\sqrt{8}`, `x^2+2x+1` ≡ `(x+1)^2`, but `(1,2)` ≢ `(2,1)`, `[0,1)` ≢
 * `[0,1]` and `1/3` ≢ `0.33`.
 *
 * Pipeline: {@link normalizeAnswer} (presentation, units, percent) → {@link parseAnswer} (structure)
 * → structural comparison, with scalars compared exactly when both are plain rationals and otherwise
 * numerically at fixed sample points (see ./evaluate.ts). When the structures cannot be compared the
 * normalised spellings are (`\text{Monday}` ≡ `Monday`).
 *
 * Conventions (documented because they change scores):
 * - Integers and fractions without decimals compare exactly; as soon as a decimal or an irrational is
 *   involved, with relative tolerance `relTol` (1e-6).
 * - A bare comma list (`1, 2`) is order-insensitive, like "enter all solutions"; a set `\{…\}` also
 *   ignores duplicates; a parenthesised tuple is ordered, and for two items its brackets must match,
 *   because `(a,b]` is an interval. A bare list matches a `(…)` tuple element-wise in order.
 * - `x = 5` is the value 5; `x > 2` is the interval (2, ∞); other equations compare up to a constant
 *   factor (`2x+2y=2` ≡ `x+y=1`).
 * - `10\%` equals both `10` and `0.1`. Trailing units (`5 cm`, `\text{ dollars}`), `\$` and degree
 *   signs are ignored. `2\frac12` is the mixed number 2½. `\log` is the natural log.
 * - `4210_5` equals `4210_{5}` and the bare digits `4210`.
 *
 * It never throws and never hangs: inputs longer than `maxLength`, more than `maxItems` items or
 * `maxNodes` nodes per expression, or a comparison running past `timeLimitMs`, are simply unequal
 * (unless the two strings are identical). The size limits are deterministic; the time limit is only a
 * backstop and should never fire on real answers.
 */
import {
  type ConventionSet,
  conventionsKey,
  type GradingConvention,
  resolveConventions,
} from "./conventions.js";
import {
  type Complex,
  closeComplex,
  isFiniteComplex,
  loadCas,
  rationalsEqual,
  rationalToNumber,
  sampleExpression,
} from "./evaluate.js";
import { normalizeAnswer } from "./normalize.js";
import {
  type Answer,
  AnswerLimitError,
  canonicalText,
  makeScalar,
  parseAnswer,
  type Scalar,
  type StructureLimits,
} from "./structure.js";

/** Options of {@link mathEqual}. */
export interface MathEqualOptions {
  /** Relative tolerance for decimals and irrational values (default 1e-6). */
  relTol?: number;
  /** Absolute tolerance for values computed numerically, e.g. `\sin\pi` vs `0` (default 1e-9). */
  absTol?: number;
  /** Longest answer (characters, each side) that is parsed at all (default 1000). */
  maxLength?: number;
  /** Most scalar items one answer may contain (default 200). */
  maxItems?: number;
  /** Most expression-tree nodes per scalar (default 400). */
  maxNodes?: number;
  /** Wall-clock backstop per comparison in milliseconds (default 250). */
  timeLimitMs?: number;
  /** Whether `10\%` also equals `0.1` (it always equals `10`). Default true. */
  percentAsFraction?: boolean;
  /**
   * Conventions to switch off (`{ decimalComma: false }`); all are on by default. See
   * {@link GradingConvention} and docs/evaluation.md.
   */
  conventions?: Partial<Record<GradingConvention, boolean>>;
}

/** Why {@link mathEqualDetailed} decided as it did. */
export type MathEqualReason =
  /** Structurally and numerically equivalent. */
  | "equivalent"
  /** Not comparable as math, but the normalised spellings agree. */
  | "same-text"
  | "different"
  /** One side is empty. */
  | "empty"
  /** Longer than `maxLength`. */
  | "too-long"
  /** A size or time limit was hit. */
  | "limit"
  /** An unexpected internal failure (a bug worth reporting); treated as unequal. */
  | "error";

/** Result of {@link mathEqualDetailed}. */
export interface MathEqualResult {
  equal: boolean;
  reason: MathEqualReason;
}

interface Context {
  relTol: number;
  absTol: number;
  deadline: number;
  conventions: ConventionSet;
}

class TimeLimitError extends Error {}

interface Prepared {
  text: string;
  percent: boolean;
  answer: Answer;
}

const CACHE_SIZE = 2048;
const cache = new Map<string, Prepared>();
const sampleCache = new WeakMap<Scalar, Complex[]>();

function prepare(raw: string, limits: StructureLimits): Prepared {
  const key = `${limits.maxItems}|${limits.maxNodes}|${conventionsKey(limits.conventions)}|${raw}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { text, percent } = normalizeAnswer(raw, limits.conventions);
  const prepared: Prepared = { text, percent, answer: parseAnswer(text, limits) };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, prepared);
  return prepared;
}

function tick(ctx: Context): void {
  if (performance.now() > ctx.deadline) throw new TimeLimitError();
}

function samples(s: Scalar): Complex[] {
  let v = sampleCache.get(s);
  if (!v) {
    v = sampleExpression(s.expr, s.variables);
    sampleCache.set(s, v);
  }
  return v;
}

function scalarsEqual(a: Scalar, b: Scalar, ctx: Context): boolean {
  tick(ctx);
  // Infinity never equals a huge finite number; `\infty` and `-\infty` compare by form.
  if (a.infinite || b.infinite) return a.shown === b.shown;
  if (a.rational && b.rational) {
    if (!a.rational.approximate && !b.rational.approximate) return rationalsEqual(a.rational, b.rational);
    const x = rationalToNumber(a.rational);
    const y = rationalToNumber(b.rational);
    return (
      Number.isFinite(x) &&
      Number.isFinite(y) &&
      Math.abs(x - y) <= ctx.relTol * Math.max(Math.abs(x), Math.abs(y))
    );
  }
  const sa = samples(a);
  const sb = samples(b);
  const n = Math.max(sa.length, sb.length);
  let compared = 0;
  for (let p = 0; p < n; p++) {
    const va = sa[p % sa.length]!;
    const vb = sb[p % sb.length]!;
    const fa = isFiniteComplex(va);
    const fb = isFiniteComplex(vb);
    if (!fa && !fb) continue;
    if (fa !== fb || !closeComplex(va, vb, ctx.relTol, ctx.absTol)) return false;
    compared++;
  }
  // With variables, most points must be defined on both sides (a pole at one point is tolerated).
  return compared >= (n === 1 ? 1 : Math.ceil(n / 2));
}

function difference(left: Scalar, right: Scalar): Scalar {
  return makeScalar({ kind: "op", op: "-", left: left.expr, right: right.expr });
}

/** `L1 = R1` ≡ `L2 = R2` when L1 − R1 = k·(L2 − R2) for one constant k ≠ 0 at every sample point. */
function equationsEqual(
  a: { left: Scalar; right: Scalar },
  b: { left: Scalar; right: Scalar },
  ctx: Context,
): boolean {
  if (
    (scalarsEqual(a.left, b.left, ctx) && scalarsEqual(a.right, b.right, ctx)) ||
    (scalarsEqual(a.left, b.right, ctx) && scalarsEqual(a.right, b.left, ctx))
  ) {
    return true;
  }
  const da = difference(a.left, a.right);
  const db = difference(b.left, b.right);
  if (da.infinite || db.infinite || (da.variables.length === 0 && db.variables.length === 0)) return false;
  const sa = samples(da);
  const sb = samples(db);
  const n = Math.max(sa.length, sb.length);
  let k: Complex | null = null;
  let compared = 0;
  for (let p = 0; p < n; p++) {
    const va = sa[p % sa.length]!;
    const vb = sb[p % sb.length]!;
    if (!isFiniteComplex(va) || !isFiniteComplex(vb)) continue;
    const na = Math.hypot(va.re, va.im);
    const nb = Math.hypot(vb.re, vb.im);
    if (na <= ctx.absTol || nb <= ctx.absTol) {
      // Both sides must vanish together.
      if (na > ctx.absTol || nb > ctx.absTol) return false;
      compared++;
      continue;
    }
    if (k === null) {
      const d = vb.re * vb.re + vb.im * vb.im;
      k = { re: (va.re * vb.re + va.im * vb.im) / d, im: (va.im * vb.re - va.re * vb.im) / d };
    }
    const kb = { re: k.re * vb.re - k.im * vb.im, im: k.re * vb.im + k.im * vb.re };
    if (!closeComplex(va, kb, ctx.relTol, ctx.absTol)) return false;
    compared++;
  }
  return compared >= Math.ceil(n / 2);
}

/** Order-insensitive matching: every item of `a` pairs with a distinct equal item of `b`. */
function multisetEqual(a: readonly Answer[], b: readonly Answer[], ctx: Context): boolean {
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

function dedupe(items: readonly Answer[], ctx: Context): Answer[] {
  const out: Answer[] = [];
  for (const it of items) if (!out.some((o) => answersEqual(o, it, ctx))) out.push(it);
  return out;
}

function orderedEqual(a: readonly Answer[], b: readonly Answer[], ctx: Context): boolean {
  return a.length === b.length && a.every((x, i) => answersEqual(x, b[i]!, ctx));
}

/**
 * Tuples whose items are all assignments with the same labels on both sides compare label by label;
 * null when they are not such tuples.
 */
function labelledEqual(a: readonly Answer[], b: readonly Answer[], ctx: Context): boolean | null {
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

function unwrap(a: Answer): Answer {
  return a.kind === "list" && a.items.length === 1 ? unwrap(a.items[0]!) : a;
}

/**
 * A list whose items are all the same answer is that answer: `\boxed{15\frac{39}{40}}, or
 * \boxed{\frac{639}{40}}` states one value twice (lists are sets, as in Math-Verify).
 */
function collapse(a: Answer, ctx: Context): Answer {
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
function answersEqual(x: Answer, y: Answer, ctx: Context): boolean {
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
function baseEqualsScalar(a: { digits: string; base: number }, s: Scalar, ctx: Context): boolean {
  const r = s.rational;
  if (!r || r.approximate || r.den !== 1n || r.num < 0n) return false;
  return (
    (ctx.conventions.baseDigits && r.num.toString() === a.digits) || (a.base === 10 && r.num === baseValue(a))
  );
}

const COMMA_DECIMAL = /^(-?)(\d+),(\d+)$/;
const POINT_DECIMAL = /^-?\d+\.\d+$/;

/**
 * `1,22` written for `1.22`: the comma side reads as exactly the other side's decimal. A comma followed
 * by three digits after a non-zero integer part is a thousands separator, never a decimal comma.
 */
function decimalCommaEqual(a: string, b: string): boolean {
  const [comma, point] = COMMA_DECIMAL.test(a) ? [a, b] : [b, a];
  const m = COMMA_DECIMAL.exec(comma);
  if (!m || !POINT_DECIMAL.test(point)) return false;
  if (m[3]!.length === 3 && !/^0+$/.test(m[2]!)) return false;
  return Number(`${m[1]}${m[2]}.${m[3]}`) === Number(point);
}

/** `answer / 100`, for reading a percentage as a fraction; null when the answer is not a scalar. */
function asFraction(a: Answer): Answer | null {
  const u = unwrap(a);
  if (u.kind !== "scalar") return null;
  return {
    kind: "scalar",
    value: makeScalar({ kind: "op", op: "/", left: u.value.expr, right: { kind: "num", text: "100" } }),
  };
}

/**
 * Like {@link mathEqual}, with the reason for the decision (useful when auditing a grader).
 */
export function mathEqualDetailed(
  gold: string,
  pred: string,
  options: MathEqualOptions = {},
): MathEqualResult {
  if (typeof gold !== "string" || typeof pred !== "string") return { equal: false, reason: "empty" };
  const g = gold.trim();
  const p = pred.trim();
  if (g === "" || p === "") return { equal: false, reason: "empty" };
  const maxLength = options.maxLength ?? 1000;
  if (g.length > maxLength || p.length > maxLength) {
    return g === p ? { equal: true, reason: "same-text" } : { equal: false, reason: "too-long" };
  }
  // Load the CAS before the clock starts: its one-time import must not count against one comparison.
  loadCas();
  const conventions =
    options.conventions === undefined && options.percentAsFraction !== false
      ? resolveConventions()
      : resolveConventions({
          ...(options.percentAsFraction === false ? { percentAsFraction: false } : {}),
          ...options.conventions,
        });
  const ctx: Context = {
    relTol: options.relTol ?? 1e-6,
    absTol: options.absTol ?? 1e-9,
    deadline: performance.now() + (options.timeLimitMs ?? 250),
    conventions,
  };
  const limits: StructureLimits = {
    maxItems: options.maxItems ?? 200,
    maxNodes: options.maxNodes ?? 400,
    maxDepth: 48,
    conventions,
  };
  let a: Prepared | null = null;
  let b: Prepared | null = null;
  try {
    a = prepare(g, limits);
    b = prepare(p, limits);
    if (answersEqual(a.answer, b.answer, ctx)) return { equal: true, reason: "equivalent" };
    if (conventions.decimalComma && decimalCommaEqual(a.text, b.text))
      return { equal: true, reason: "equivalent" };
    if (a.percent !== b.percent && conventions.percentAsFraction) {
      const [pct, other] = a.percent ? [a, b] : [b, a];
      const frac = asFraction(pct.answer);
      if (frac && answersEqual(frac, other.answer, ctx)) return { equal: true, reason: "equivalent" };
    }
    if (canonicalText(a.text) === canonicalText(b.text)) return { equal: true, reason: "same-text" };
    return { equal: false, reason: "different" };
  } catch (err) {
    // Limits, and — defensively — any bug in a parser or in mathjs: a grader must answer, not throw.
    const same = a !== null && b !== null ? canonicalText(a.text) === canonicalText(b.text) : g === p;
    if (same) return { equal: true, reason: "same-text" };
    const limit =
      err instanceof TimeLimitError || err instanceof AnswerLimitError || err instanceof RangeError;
    return { equal: false, reason: limit ? "limit" : "error" };
  }
}

/**
 * Whether `pred` is mathematically the same answer as `gold` (symmetric in practice, but the gold
 * answer comes first by convention). Never throws; bounded in time. See the module documentation for
 * the conventions.
 */
export function mathEqual(gold: string, pred: string, options: MathEqualOptions = {}): boolean {
  return mathEqualDetailed(gold, pred, options).equal;
}
