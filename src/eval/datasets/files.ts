import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { packageRoot } from "../../defaults.js";

/** The datasets shipped with the package: `data/` next to `src/` or `dist/`, never a path outside it. */
export const dataDir = join(packageRoot, "data");

/** Reads a JSON Lines file into objects; a malformed line is a {@link ConfigError} naming it. */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) {
    throw new ConfigError(`dataset file not found: ${file}`, {
      hint: "the package's data/ folder is incomplete; reinstall deliberate",
    });
  }
  const rows: Record<string, unknown>[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (cause) {
      throw new ConfigError(`${file}:${i + 1} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new ConfigError(`${file}:${i + 1} is not a JSON object`);
    }
    rows.push(row as Record<string, unknown>);
  });
  return rows;
}

/** A field of a row as a string (numbers are stringified); a {@link ConfigError} when it is missing. */
export function stringField(row: Record<string, unknown>, field: string, where: string): string {
  const value = row[field];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new ConfigError(`${where}: field "${field}" is missing or not a string/number`, {
    hint: `fields present: ${Object.keys(row).join(", ") || "none"}`,
  });
}
