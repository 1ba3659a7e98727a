import { ArithRng, fnv1a } from "./prng.js";

/** One operation applied to the running value. */
export interface ArithOp {
  op: "+" | "-";
  value: number;
}

/** A multi-step integer arithmetic problem; `level` is the number of operations. */
export interface ArithProblem {
  id: string;
  level: number;
  /** The expression without prefix, e.g. `"96-7+32-58"`. */
  question: string;
  start: number;
  ops: ArithOp[];
  answer: number;
}

/** Data split of the task. */
export type ArithSplit = "train" | "validation" | "test";

/** Task constants: ranges of the start value, the operands and the running value. */
export const ARITH_LIMITS = {
  startMin: 10,
  startMax: 99,
  operandMin: 2,
  operandMax: 59,
  valueMin: 0,
  valueMax: 299,
  levelMin: 1,
  levelMax: 8,
} as const;

/** Renders the expression of a start value and its operations, e.g. `"96-7+32-58"`. */
export function arithQuestion(start: number, ops: readonly ArithOp[]): string {
  return `${start}${ops.map((o) => `${o.op}${o.value}`).join("")}`;
}

/** Applies one operation. */
export function applyArithOp(value: number, op: ArithOp): number {
  return op.op === "+" ? value + op.value : value - op.value;
}

/**
 * Draws one problem of `level` operations. An operation that would take the running value out of
 * [valueMin, valueMax] is redrawn; some operation is always valid (below 2 any addition fits, above 240
 * any subtraction does), so the loop ends.
 */
export function generateArithProblem(rngOrSeed: ArithRng | number, level: number, id?: string): ArithProblem {
  if (!Number.isInteger(level) || level < ARITH_LIMITS.levelMin || level > ARITH_LIMITS.levelMax) {
    throw new RangeError(`arith level must be an integer in 1..8, got ${level}`);
  }
  const rng = typeof rngOrSeed === "number" ? new ArithRng(rngOrSeed) : rngOrSeed;
  const L = ARITH_LIMITS;
  const start = rng.intBetween(L.startMin, L.startMax);
  const ops: ArithOp[] = [];
  let value = start;
  while (ops.length < level) {
    const op: ArithOp = {
      op: rng.next() < 0.5 ? "+" : "-",
      value: rng.intBetween(L.operandMin, L.operandMax),
    };
    const next = applyArithOp(value, op);
    if (next < L.valueMin || next > L.valueMax) continue;
    ops.push(op);
    value = next;
  }
  const question = arithQuestion(start, ops);
  return { id: id ?? `arith-L${level}-${question}`, level, question, start, ops, answer: value };
}

/** Percent buckets of the question hash owned by each split: train 80%, validation 10%, test 10%. */
const SPLIT_BUCKETS: Record<ArithSplit, readonly [number, number]> = {
  train: [0, 80],
  validation: [80, 90],
  test: [90, 100],
};

/** The split a question belongs to, decided by the hash of its text alone. */
export function arithSplitOf(question: string): ArithSplit {
  const bucket = fnv1a(question) % 100;
  for (const split of ["train", "validation", "test"] as const) {
    const [lo, hi] = SPLIT_BUCKETS[split];
    if (bucket >= lo && bucket < hi) return split;
  }
  throw new Error("unreachable: buckets cover 0..99");
}

/**
 * `count` distinct problems of one split and level, deterministic in (split, level, count).
 *
 * Two mechanisms keep the splits apart. Each split draws from its own seed stream (the seed is a hash
 * of split and level), which alone would only make overlap unlikely. Disjointness is guaranteed by the
 * hash partition: every question string is owned by exactly one split ({@link arithSplitOf}) and a
 * split keeps only the questions it owns, so no question can ever appear in two splits, whatever the
 * seeds or counts. Within a split, duplicates are skipped. Level 1 has only a few thousand distinct
 * questions, so an impossible `count` throws instead of looping forever.
 */
export function generateArithSplit(split: ArithSplit, level: number, count: number): ArithProblem[] {
  const rng = new ArithRng(fnv1a(`arith/${split}/L${level}`));
  const seen = new Set<string>();
  const out: ArithProblem[] = [];
  const maxDraws = 200 * count + 10_000;
  for (let draws = 0; out.length < count; draws++) {
    if (draws >= maxDraws) {
      throw new RangeError(`cannot draw ${count} distinct ${split} problems at level ${level}`);
    }
    const p = generateArithProblem(rng, level);
    if (seen.has(p.question) || arithSplitOf(p.question) !== split) continue;
    seen.add(p.question);
    out.push({ ...p, id: `${split}-L${level}-${out.length}` });
  }
  return out;
}
