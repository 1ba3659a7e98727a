import { InvalidArgumentError } from "commander";
import { DIALECTS, type Dialect } from "../backends/openai-compatible/dialect.js";

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
