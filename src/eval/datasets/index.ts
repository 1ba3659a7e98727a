/**
 * Evaluation datasets: spec parsing (`NAME:SPLIT[:LIMIT]`, `file:PATH[:LIMIT]`), `--where` filters and
 * loading into {@link EvalProblem}s.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../../core/errors.js";
import { ARITH_DEFAULT_PER_LEVEL, BUILTIN_DATASETS } from "./builtin.js";
import { dataDir as defaultDataDir, readJsonl, stringField } from "./files.js";
import type { EvalProblem, GradingKind, LoadedDataset } from "./types.js";

export { ARITH_DEFAULT_PER_LEVEL, BOXED_INSTRUCTION, BUILTIN_DATASETS, gsm8kGold } from "./builtin.js";
export { dataDir, readJsonl } from "./files.js";
export type { EvalProblem, GradingKind, LoadedDataset } from "./types.js";

/** A parsed dataset spec. */
export interface DatasetSpec {
  name: string;
  /** The split; for `file:` datasets, the file path. */
  split: string;
  /** First LIMIT problems after filtering (arith: problems per level). */
  limit?: number;
}

/** An equality filter on a problem field (`--where level=5`). */
export interface WhereFilter {
  field: string;
  value: string;
}

/** Where `file:` datasets find their fields; each defaults to the first of its candidates present. */
export interface FieldMapping {
  prompt?: string;
  gold?: string;
  id?: string;
  level?: string;
}

/** Options of {@link loadDataset}. */
export interface LoadDatasetOptions {
  where?: readonly WhereFilter[];
  /** Field mapping of `file:` datasets. */
  fields?: FieldMapping;
  /** Grading of `file:` datasets (default `math`). */
  grading?: GradingKind;
  /** Folder of the shipped datasets (default: the package's `data/`). */
  dataDir?: string;
}

const FIELD_CANDIDATES: Record<keyof FieldMapping, readonly string[]> = {
  prompt: ["prompt", "question", "problem", "input"],
  gold: ["gold", "answer", "target", "output"],
  id: ["id", "task_id", "unique_id"],
  level: ["level"],
};

/** The specs of every built-in dataset split, for help texts and errors. */
export function datasetSpecs(): string[] {
  const specs: string[] = [];
  for (const ds of Object.values(BUILTIN_DATASETS)) for (const s of ds.splits) specs.push(`${ds.name}:${s}`);
  specs.push("file:PATH");
  return specs;
}

/** Built-in datasets with their descriptions and splits. */
export function listDatasets(): { name: string; description: string; splits: string[] }[] {
  return Object.values(BUILTIN_DATASETS).map((d) => ({
    name: d.name,
    description: d.description,
    splits: [...d.splits],
  }));
}

function parseLimit(text: string, spec: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`invalid limit "${text}" in dataset spec "${spec}"`, {
      hint: "write NAME:SPLIT:LIMIT with LIMIT a positive integer, e.g. gsm8k:test:20",
    });
  }
  return n;
}

/**
 * Parses `NAME[:SPLIT[:LIMIT]]` (split defaults to `test`) or `file:PATH[:LIMIT]`. A trailing `:N` of
 * a file spec is a limit unless a file of that whole name exists.
 */
export function parseDatasetSpec(text: string): DatasetSpec {
  const spec = text.trim();
  const colon = spec.indexOf(":");
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? "" : spec.slice(colon + 1);
  if (name === "file") {
    if (rest === "")
      throw new ConfigError(`dataset spec "${text}" names no file`, { hint: "write file:PATH" });
    const m = /^(.*):(\d+)$/.exec(rest);
    if (m && !existsSync(rest)) return { name, split: m[1]!, limit: parseLimit(m[2]!, text) };
    return { name, split: rest };
  }
  const dataset = BUILTIN_DATASETS[name];
  if (!dataset) {
    throw new ConfigError(`unknown dataset "${name}"`, { hint: `valid: ${datasetSpecs().join(", ")}` });
  }
  const parts = rest === "" ? [] : rest.split(":");
  if (parts.length > 2) {
    throw new ConfigError(`invalid dataset spec "${text}"`, {
      hint: "write NAME:SPLIT[:LIMIT], e.g. gsm8k:test:20",
    });
  }
  const split = parts[0] || "test";
  if (!dataset.splits.includes(split)) {
    const extra =
      name === "gsm8k" && split === "train" ? " (gsm8k train is not shipped with the package)" : "";
    throw new ConfigError(`unknown split "${split}" of dataset ${name}${extra}`, {
      hint: `valid: ${dataset.splits.map((s) => `${name}:${s}`).join(", ")}`,
    });
  }
  return { name, split, ...(parts[1] !== undefined ? { limit: parseLimit(parts[1], text) } : {}) };
}

/** The normalised form of a dataset spec (`gsm8k` → `gsm8k:test`, `arith:test` → `arith:test:100`). */
export function normalizeDatasetSpec(text: string): string {
  const spec = parseDatasetSpec(text);
  const limit = spec.limit ?? (spec.name === "arith" ? ARITH_DEFAULT_PER_LEVEL : undefined);
  return `${spec.name}:${spec.split}${limit !== undefined ? `:${limit}` : ""}`;
}

/** Parses `field=value` (the `--where` flag). */
export function parseWhere(text: string): WhereFilter {
  const eq = text.indexOf("=");
  const field = eq > 0 ? text.slice(0, eq).trim() : "";
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(field)) {
    throw new ConfigError(`invalid filter "${text}"`, { hint: "write FIELD=VALUE, e.g. level=5" });
  }
  return { field, value: text.slice(eq + 1).trim() };
}

/** Parses `prompt=question,gold=answer` (the `--field` flag). */
export function parseFieldMapping(text: string): FieldMapping {
  const mapping: FieldMapping = {};
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq).trim() : "";
    const value = item.slice(eq + 1).trim();
    if (!(key in FIELD_CANDIDATES) || value === "") {
      throw new ConfigError(`invalid field mapping "${item}"`, {
        hint: `write KEY=FIELD with KEY one of ${Object.keys(FIELD_CANDIDATES).join(", ")}, e.g. prompt=question,gold=answer`,
      });
    }
    mapping[key as keyof FieldMapping] = value;
  }
  return mapping;
}

/** The value of a filterable field: a top-level field of the problem, else one of its `meta`. */
function fieldValue(problem: EvalProblem, field: string): unknown {
  if (field === "id" || field === "gold" || field === "level") return problem[field];
  const key = field.startsWith("meta.") ? field.slice(5) : field;
  return problem.meta[key];
}

/** Equality of a field value and a filter value: numeric when both are numbers, else as strings. */
function matches(value: unknown, wanted: string): boolean {
  if (value === undefined || value === null) return false;
  const num = Number(wanted);
  if (typeof value === "number") return wanted.trim() !== "" && Number.isFinite(num) && value === num;
  if (typeof value === "string") {
    if (value === wanted) return true;
    const a = Number(value);
    return value.trim() !== "" && wanted.trim() !== "" && Number.isFinite(a) && a === num;
  }
  if (typeof value === "boolean") return String(value) === wanted;
  return false;
}

/** Keeps the problems matching every filter; an unknown field is a {@link ConfigError}. */
export function filterProblems(problems: EvalProblem[], where: readonly WhereFilter[]): EvalProblem[] {
  let kept = problems;
  for (const filter of where) {
    if (!problems.some((p) => fieldValue(p, filter.field) !== undefined)) {
      const fields = new Set<string>(["id", "gold"]);
      for (const p of problems.slice(0, 50)) {
        if (p.level !== undefined) fields.add("level");
        for (const [k, v] of Object.entries(p.meta)) if (typeof v !== "object" || v === null) fields.add(k);
      }
      throw new ConfigError(`no problem has a field "${filter.field}"`, {
        hint: `filterable fields: ${[...fields].join(", ")}`,
      });
    }
    kept = kept.filter((p) => matches(fieldValue(p, filter.field), filter.value));
  }
  return kept;
}

function pickField(
  row: Record<string, unknown>,
  key: keyof FieldMapping,
  mapping: FieldMapping,
): string | null {
  if (mapping[key]) return mapping[key]!;
  return FIELD_CANDIDATES[key].find((f) => row[f] !== undefined) ?? null;
}

/** Loads a user's JSONL file: one problem per line, fields picked by `mapping`. */
export function loadJsonlProblems(file: string, mapping: FieldMapping = {}): EvalProblem[] {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`dataset file not found: ${path}`);
  const rows = readJsonl(path);
  if (rows.length === 0) throw new ConfigError(`dataset file ${path} has no rows`);
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const where = `${path}:${i + 1}`;
    const promptField = pickField(row, "prompt", mapping);
    const goldField = pickField(row, "gold", mapping);
    if (!promptField || !goldField) {
      throw new ConfigError(`${where}: no ${promptField ? "gold" : "prompt"} field`, {
        hint: `map it with --field prompt=FIELD,gold=FIELD (fields present: ${Object.keys(row).join(", ")})`,
      });
    }
    const text = stringField(row, promptField, where);
    const idField = pickField(row, "id", mapping);
    const id = idField ? stringField(row, idField, where) : `line-${i + 1}`;
    if (seen.has(id)) throw new ConfigError(`${where}: duplicate id "${id}"`, { hint: "ids must be unique" });
    seen.add(id);
    const levelField = pickField(row, "level", mapping);
    const level = levelField ? Number(row[levelField]) : Number.NaN;
    const meta: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) if (k !== promptField && k !== goldField) meta[k] = v;
    return {
      id,
      prompt: { messages: [{ role: "user" as const, content: text }] },
      rawPrompt: text,
      gold: stringField(row, goldField, where),
      ...(Number.isInteger(level) ? { level } : {}),
      meta,
    };
  });
}

/**
 * Loads a dataset spec: the problems after `where` filters and the limit, with their grading kind.
 *
 * @throws ConfigError for an unknown dataset or split (listing valid ones), a missing file, an unknown
 *   filter field, or a filter that keeps nothing.
 */
export function loadDataset(specText: string, options: LoadDatasetOptions = {}): LoadedDataset {
  const spec = parseDatasetSpec(specText);
  const where = options.where ?? [];
  let problems: EvalProblem[];
  let grading: GradingKind;
  if (spec.name === "file") {
    problems = loadJsonlProblems(spec.split, options.fields);
    grading = options.grading ?? "math";
  } else {
    const dataset = BUILTIN_DATASETS[spec.name]!;
    problems = dataset.load(spec.split, options.dataDir ?? defaultDataDir, spec.limit);
    grading = dataset.grading;
  }
  problems = filterProblems(problems, where);
  // Generated datasets apply the limit per level while generating.
  if (spec.limit !== undefined && spec.name !== "arith") problems = problems.slice(0, spec.limit);
  if (problems.length === 0) {
    throw new ConfigError(
      `dataset ${specText} has no problems${where.length ? " matching the filters" : ""}`,
    );
  }
  return {
    spec: normalizeDatasetSpec(specText),
    name: spec.name,
    split: spec.split,
    grading,
    problems,
  };
}
