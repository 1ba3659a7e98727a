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
 *
 * This module is the entry point (options, the answer cache, the fallbacks of the last step); the
 * comparison lives beside it: answer-equivalence.ts (by structure), scalar-equivalence.ts (values and
 * equations), equivalence-context.ts (tolerances and the deadline).
 */
import { answersEqual, unwrap } from "./answer-equivalence.js";
import { conventionsKey, type GradingConvention, resolveConventions } from "./conventions.js";
import { type CompareContext, TimeLimitError } from "./equivalence-context.js";
import { loadCas } from "./evaluate.js";
import { normalizeAnswer } from "./normalize.js";
import {
  type Answer,
  AnswerLimitError,
  canonicalText,
  makeScalar,
  parseAnswer,
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

interface Prepared {
  text: string;
  percent: boolean;
  answer: Answer;
}

const CACHE_SIZE = 2048;
const cache = new Map<string, Prepared>();

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
  const ctx: CompareContext = {
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
