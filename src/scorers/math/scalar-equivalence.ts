/**
 * Equivalence of scalars and of equations: exactly when both sides are plain rationals, otherwise
 * numerically at the fixed sample points of ./evaluate.ts (symbolic answers such as `x^2+2x+1` ≡
 * `(x+1)^2` included), within the comparison's tolerances.
 */
import { type CompareContext, tick } from "./equivalence-context.js";
import {
  type Complex,
  closeComplex,
  isFiniteComplex,
  rationalsEqual,
  rationalToNumber,
  sampleExpression,
} from "./evaluate.js";
import { makeScalar, type Scalar } from "./structure.js";

/** Sample values of each scalar, computed once: a scalar of a cached answer is compared many times. */
const sampleCache = new WeakMap<Scalar, Complex[]>();

function samples(s: Scalar): Complex[] {
  let v = sampleCache.get(s);
  if (!v) {
    v = sampleExpression(s.expr, s.variables);
    sampleCache.set(s, v);
  }
  return v;
}

/** Whether two scalars have the same value (at every sample point, when they have variables). */
export function scalarsEqual(a: Scalar, b: Scalar, ctx: CompareContext): boolean {
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
export function equationsEqual(
  a: { left: Scalar; right: Scalar },
  b: { left: Scalar; right: Scalar },
  ctx: CompareContext,
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
