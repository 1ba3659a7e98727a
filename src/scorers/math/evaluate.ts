/**
 * Values of parsed expressions: exact rationals (BigInt) where the expression is plain arithmetic on
 * literals, and numeric values (real or complex, through mathjs) at fixed sample points otherwise.
 *
 * Symbolic equality (`x^2+2x+1` vs `(x+1)^2`, `2\sqrt2` vs `\sqrt8`) is decided by evaluating both
 * sides at the same few points — a probabilistic identity test (Schwartz–Zippel) that is exact for
 * practical answers, never hangs, and is deterministic because each variable's value at each point is a
 * fixed hash of its name. Floating point makes the arithmetic bounded: `10^{10^{10}}` is just
 * `Infinity`, which never equals anything.
 *
 * mathjs (Apache-2.0) supplies complex arithmetic and special functions. It is loaded lazily, on the
 * first comparison that needs it, because importing it costs ~0.7 s and most users of this package
 * never grade math.
 */
import { createRequire } from "node:module";
import type * as MathJsModule from "mathjs";
import type { Expr } from "./latex.js";

type Value = number | MathJsModule.Complex;
type Unary = (x: Value) => Value;
type Binary = (a: Value, b: Value) => Value;

/**
 * The slice of mathjs we call, typed loosely on purpose: mathjs's own overloads do not accept the
 * `number | Complex` union its functions return, and we only ever pass those two.
 */
interface MathJs {
  complex(re: number, im: number): Value;
  add: Binary;
  subtract: Binary;
  multiply: Binary;
  divide: Binary;
  pow: Binary;
  unaryMinus: Unary;
  sqrt: Unary;
  sin: Unary;
  cos: Unary;
  tan: Unary;
  cot: Unary;
  sec: Unary;
  csc: Unary;
  asin: Unary;
  acos: Unary;
  atan: Unary;
  sinh: Unary;
  cosh: Unary;
  tanh: Unary;
  log: Unary;
  exp: Unary;
  abs: Unary;
  floor: Unary;
  ceil: Unary;
  gamma: Unary;
  factorial(n: number): number;
  lgamma(x: number): number;
}

/** A complex number as two floats; real values have `im === 0`. */
export interface Complex {
  re: number;
  im: number;
}

/** An exact rational `num/den` (den > 0, reduced). `approximate` when a decimal literal fed it. */
export interface Rational {
  num: bigint;
  den: bigint;
  approximate: boolean;
}

let instance: MathJs | null = null;

/** The private mathjs instance, loaded on first use (synchronously, ~0.7 s once per process). */
export function loadCas(): MathJs {
  if (instance === null) {
    const require = createRequire(import.meta.url);
    const mathjs = require("mathjs") as typeof MathJsModule;
    // A private instance: nobody else's `math.config(...)` can change how we evaluate.
    instance = mathjs.create(mathjs.all!, { number: "number", predictable: false }) as unknown as MathJs;
  }
  return instance;
}

/** Bit-length cap for exact arithmetic; past it the float path decides. */
const MAX_BITS = 4096;

function bitLength(x: bigint): number {
  return (x < 0n ? -x : x).toString(2).length;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function makeRational(num: bigint, den: bigint, approximate: boolean): Rational | null {
  if (den === 0n) return null;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  if (g > 1n) {
    num /= g;
    den /= g;
  }
  if (bitLength(num) > MAX_BITS || bitLength(den) > MAX_BITS) return null;
  return { num, den, approximate };
}

/** `12`, `0.5`, `.5`, `1.5e3` as an exact rational (decimals and exponents are marked approximate). */
function literal(text: string): Rational | null {
  const [mantissa = "", exponentText] = text.toLowerCase().split("e");
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const dot = mantissa.indexOf(".");
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const scale = (dot < 0 ? 0 : mantissa.length - dot - 1) - exponent;
  const num = BigInt(digits || "0");
  const approximate = dot >= 0 || exponentText !== undefined;
  return scale >= 0
    ? makeRational(num, 10n ** BigInt(scale), approximate)
    : makeRational(num * 10n ** BigInt(-scale), 1n, approximate);
}

/**
 * The exact value of plain arithmetic on number literals (`+ - * /`, integer powers), or null when the
 * expression has variables, functions, or grows past the size cap.
 */
export function exactValue(e: Expr): Rational | null {
  switch (e.kind) {
    case "num":
      return literal(e.text);
    case "neg": {
      const a = exactValue(e.arg);
      return a && { ...a, num: -a.num };
    }
    case "op": {
      const a = exactValue(e.left);
      if (!a) return null;
      const b = exactValue(e.right);
      if (!b) return null;
      const approximate = a.approximate || b.approximate;
      switch (e.op) {
        case "+":
          return makeRational(a.num * b.den + b.num * a.den, a.den * b.den, approximate);
        case "-":
          return makeRational(a.num * b.den - b.num * a.den, a.den * b.den, approximate);
        case "*":
          return makeRational(a.num * b.num, a.den * b.den, approximate);
        case "/":
          return makeRational(a.num * b.den, a.den * b.num, approximate);
        case "^": {
          if (b.den !== 1n) return null;
          const n = b.num < 0n ? -b.num : b.num;
          // Refuse before computing: the result would have about bits(base)·n bits.
          if (n > 4096n || (Math.max(bitLength(a.num), bitLength(a.den)) - 1) * Number(n) > MAX_BITS)
            return null;
          const num = a.num ** n;
          const den = a.den ** n;
          return b.num < 0n ? makeRational(den, num, approximate) : makeRational(num, den, approximate);
        }
      }
      return null;
    }
    default:
      return null;
  }
}

/** A rational as a float, without overflowing on huge numerators and denominators. */
export function rationalToNumber(r: Rational): number {
  let { num, den } = r;
  const shift = Math.max(bitLength(num), bitLength(den)) - 1000;
  if (shift > 0) {
    num >>= BigInt(shift);
    den >>= BigInt(shift);
    if (den === 0n)
      return num === 0n ? Number.NaN : num > 0n ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }
  return Number(num) / Number(den);
}

/** Exact equality of two rationals. */
export function rationalsEqual(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

/** How many points expressions with variables are sampled at. */
export const SAMPLE_POINTS = 5;

/**
 * The value variable `name` takes at sample point `point`: a fixed hash of both, in [0.35, 2.35).
 * Positive and away from 0 and 1, so `\sqrt{x^2}` vs `x` and `x^2` vs `x` are told apart sensibly.
 */
export function sampleValue(name: string, point: number): number {
  let h = 0x811c9dc5;
  const key = `${name}#${point}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return 0.35 + 2 * ((h >>> 0) / 4294967296);
}

function binomial(m: MathJs, n: Value, k: Value): Value {
  if (typeof n === "number" && typeof k === "number") {
    if (Number.isInteger(n) && Number.isInteger(k)) {
      if (k < 0 || k > n) return n >= 0 ? 0 : Number.NaN;
      const kk = Math.min(k, n - k);
      if (kk <= 1000) {
        let r = 1;
        for (let j = 1; j <= kk; j++) r = (r * (n - kk + j)) / j;
        return Math.round(r);
      }
    }
    return Math.exp(m.lgamma(n + 1) - m.lgamma(k + 1) - m.lgamma(n - k + 1));
  }
  return m.divide(
    m.gamma(m.add(n, 1)),
    m.multiply(m.gamma(m.add(k, 1)), m.gamma(m.add(m.subtract(n, k), 1))),
  );
}

function evalValue(m: MathJs, e: Expr, env: (name: string) => number): Value {
  switch (e.kind) {
    case "num":
      return Number(e.text);
    case "sym":
      switch (e.name) {
        case "#pi":
          return Math.PI;
        case "#e":
          return Math.E;
        case "#i":
          return m.complex(0, 1);
        case "#inf":
          return Number.POSITIVE_INFINITY;
        default:
          return env(e.name);
      }
    case "neg":
      return m.unaryMinus(evalValue(m, e.arg, env));
    case "op": {
      const a = evalValue(m, e.left, env);
      const b = evalValue(m, e.right, env);
      switch (e.op) {
        case "+":
          return m.add(a, b);
        case "-":
          return m.subtract(a, b);
        case "*":
          return m.multiply(a, b);
        case "/":
          return m.divide(a, b);
        case "^":
          return m.pow(a, b);
      }
      throw new Error("unknown operator");
    }
    case "pm":
      throw new Error("± must be expanded before evaluation");
    case "call": {
      const args = e.args.map((a) => evalValue(m, a, env));
      const x = args[0]!;
      switch (e.fn) {
        case "sqrt":
          return m.sqrt(x);
        case "root": {
          const n = args[1]!;
          // The real root of a negative number for odd n (`\sqrt[3]{-8}` = -2), else the principal one.
          if (typeof x === "number" && typeof n === "number" && Number.isInteger(n) && n % 2 !== 0) {
            return Math.sign(x) * Math.abs(x) ** (1 / n);
          }
          return m.pow(x, m.divide(1, n));
        }
        case "sin":
          return m.sin(x);
        case "cos":
          return m.cos(x);
        case "tan":
          return m.tan(x);
        case "cot":
          return m.cot(x);
        case "sec":
          return m.sec(x);
        case "csc":
          return m.csc(x);
        case "arcsin":
          return m.asin(x);
        case "arccos":
          return m.acos(x);
        case "arctan":
          return m.atan(x);
        case "sinh":
          return m.sinh(x);
        case "cosh":
          return m.cosh(x);
        case "tanh":
          return m.tanh(x);
        case "ln":
        case "log":
          // `\log` without a base is the natural log, as in Math-Verify (sympy's log).
          return m.log(x);
        case "exp":
          return m.exp(x);
        case "abs":
          return m.abs(x);
        case "floor":
          return m.floor(x);
        case "ceil":
          return m.ceil(x);
        case "factorial":
          if (typeof x === "number" && Number.isInteger(x) && x >= 0)
            return x > 170 ? Number.POSITIVE_INFINITY : m.factorial(x);
          return m.gamma(m.add(x, 1));
        case "binom":
          return binomial(m, x, args[1]!);
      }
    }
  }
}

/** Converts a mathjs value to `{re, im}`; anything else (matrices, units) to NaN. */
function toComplex(v: unknown): Complex {
  if (typeof v === "number") return { re: v, im: 0 };
  if (v !== null && typeof v === "object" && "re" in v && "im" in v) {
    const c = v as { re: unknown; im: unknown };
    if (typeof c.re === "number" && typeof c.im === "number") return { re: c.re, im: c.im };
  }
  return { re: Number.NaN, im: Number.NaN };
}

/**
 * The expression's value at each sample point: one point when it has no variables, else
 * {@link SAMPLE_POINTS}. A point where evaluation fails is NaN.
 */
export function sampleExpression(e: Expr, variables: readonly string[]): Complex[] {
  const m = loadCas();
  const points = variables.length === 0 ? 1 : SAMPLE_POINTS;
  const out: Complex[] = [];
  for (let p = 0; p < points; p++) {
    try {
      out.push(toComplex(evalValue(m, e, (name) => sampleValue(name, p))));
    } catch {
      out.push({ re: Number.NaN, im: Number.NaN });
    }
  }
  return out;
}

/** Whether both parts are finite numbers. */
export function isFiniteComplex(c: Complex): boolean {
  return Number.isFinite(c.re) && Number.isFinite(c.im);
}

/** |a - b| ≤ max(relTol·max(|a|, |b|), absTol) for finite complex numbers. */
export function closeComplex(a: Complex, b: Complex, relTol: number, absTol: number): boolean {
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  return diff <= Math.max(relTol * scale, absTol);
}

/**
 * The real value of `e` with each variable given by `env`; NaN when evaluation fails or the value is
 * not real.
 */
export function evaluateReal(e: Expr, env: (name: string) => number): number {
  try {
    const c = toComplex(evalValue(loadCas(), e, env));
    return Math.abs(c.im) <= 1e-12 * Math.max(1, Math.abs(c.re)) ? c.re : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
