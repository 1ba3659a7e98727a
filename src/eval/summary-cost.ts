/**
 * Policy compute per problem as the summary reports it ({@link ComputeCost}): the cost of a strategy's
 * sequences, of the mean pool sample, scaled to k samples, averaged over problems and rounded.
 */
import { mean } from "./metrics/bootstrap.js";
import { type CostOptions, type ModelShape, problemCost, type SequenceShape } from "./metrics/flops.js";
import type { SampleRecord } from "./store.js";
import type { ComputeCost } from "./summary-types.js";

/** The cost model's settings: a batch of one sequence, an H100-like 295 FLOPs per byte. */
export const COST_OPTIONS: Required<CostOptions> = { batchSize: 1, intensity: 295 };

/** The cost of some sequences: prompt tokens, generated tokens and calls as given, the rest from the shape. */
export function sequencesCost(
  shape: ModelShape | null,
  sequences: readonly SequenceShape[] | undefined,
  counts: { promptTokens: number; generatedTokens: number; calls: number },
): ComputeCost {
  const cost = shape && sequences ? problemCost(shape, sequences, COST_OPTIONS) : null;
  return { ...counts, flops: cost?.flops ?? null, bytes: cost?.bytes ?? null, eflops: cost?.eflops ?? null };
}

/** The mean sample of a pool: its request's prompt tokens and call, the mean generated tokens and cost. */
export function sampleCost(shape: ModelShape | null, samples: readonly SampleRecord[]): ComputeCost | null {
  if (samples.length === 0) return null;
  const sequences = samples.map((s) => ({
    promptTokens: s.promptTokens,
    generatedTokens: s.completionTokens,
  }));
  const pool = sequencesCost(shape, sequences, {
    promptTokens: samples[0]!.promptTokens,
    generatedTokens: sequences.reduce((sum, q) => sum + q.generatedTokens, 0),
    calls: 1,
  });
  return timesSamples(pool, 1 / samples.length);
}

/** A pool cost scaled to `factor` times the samples: generated tokens and costs scale, the request does not. */
export function timesSamples(c: ComputeCost, factor: number): ComputeCost {
  const times = (x: number | null) => (x === null ? null : x * factor);
  return {
    promptTokens: c.promptTokens,
    generatedTokens: c.generatedTokens * factor,
    calls: c.calls,
    flops: times(c.flops),
    bytes: times(c.bytes),
    eflops: times(c.eflops),
  };
}

/** Mean compute over problems; a cost figure is null when any problem lacks it. */
export function meanCompute(costs: readonly ComputeCost[]): ComputeCost {
  const of = (pick: (c: ComputeCost) => number | null) => {
    const xs = costs.map(pick);
    return xs.some((x) => x === null) ? null : mean(xs as number[]);
  };
  return {
    promptTokens: mean(costs.map((c) => c.promptTokens)),
    generatedTokens: mean(costs.map((c) => c.generatedTokens)),
    calls: mean(costs.map((c) => c.calls)),
    flops: of((c) => c.flops),
    bytes: of((c) => c.bytes),
    eflops: of((c) => c.eflops),
  };
}

/** A cost rounded for the summary: tokens to 2 decimals, calls to 4, FLOPs, bytes and eFLOPs to whole numbers. */
export function roundCompute(c: ComputeCost): ComputeCost {
  const whole = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    promptTokens: round(c.promptTokens, 2),
    generatedTokens: round(c.generatedTokens, 2),
    calls: round(c.calls, 4),
    flops: whole(c.flops),
    bytes: whole(c.bytes),
    eflops: whole(c.eflops),
  };
}

/** `x` rounded to `digits` decimals. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
