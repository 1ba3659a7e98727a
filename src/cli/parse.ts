import { InvalidArgumentError } from "commander";
import { DIALECTS, type Dialect } from "../backends/openai-compatible/dialect.js";
import type { ModelShape } from "../eval/metrics/flops.js";
import { parseModelShape } from "../eval/model-shape.js";

/** Commander argument parser for a server dialect (`auto` or one of {@link DIALECTS}). */
export function dialectArg(value: string): Dialect | "auto" {
  if (value === "auto" || (DIALECTS as readonly string[]).includes(value)) return value as Dialect | "auto";
  throw new InvalidArgumentError(`expected auto, ${DIALECTS.join(", ")}; got "${value}"`);
}

/** Commander collector of a repeatable option: every value given, in order. */
export function collectArg(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Commander argument parser for integers within bounds. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for a number in [min, max] (or (min, max] with `exclusiveMin`). */
export function numberArg(min: number, max: number, exclusiveMin = false) {
  return (value: string): number => {
    const n = Number(value);
    const low = exclusiveMin ? n > min : n >= min;
    if (value.trim() === "" || !Number.isFinite(n) || !low || n > max) {
      const range = exclusiveMin ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a number ${range}, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for `--model-shape params=…,layers=…,dModel=…,kvDim=…,bytesPerParam=…`. */
export function modelShapeArg(value: string): ModelShape {
  try {
    return parseModelShape(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Help text of `--model-shape`. */
export const MODEL_SHAPE_HELP =
  "model shape for FLOPs, e.g. params=7e9,layers=32,dModel=4096,kvDim=1024,bytesPerParam=2 " +
  "(default: the GGUF metadata of an embedded model; none for a server)";
