import type { z } from "zod";
import { ConfigError } from "./errors.js";

/**
 * The one spec grammar for strategies and scorers, shared by the library, the CLI and the server:
 * `name` or `name:item,item,…` where an item is `key=value` or a bare positional value
 * (e.g. `sc:n=16,temperature=0.8`, `prm:models/arith-prm.gguf,aggregation=min`).
 */
export interface ParsedSpec {
  name: string;
  positional: string[];
  params: Record<string, string>;
}

const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Splits a spec string into name, positional values and key=value parameters. */
export function parseSpec(text: string, what = "spec"): ParsedSpec {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const name = (colon < 0 ? trimmed : trimmed.slice(0, colon)).trim();
  if (!KEY.test(name)) {
    throw new ConfigError(`invalid ${what} "${text}": it must start with a name`, {
      hint: "write NAME or NAME:key=value,key=value",
    });
  }
  const spec: ParsedSpec = { name, positional: [], params: {} };
  if (colon < 0) return spec;
  for (const rawItem of trimmed.slice(colon + 1).split(",")) {
    const item = rawItem.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq).trim() : "";
    // "http://host/x?a=b" has an '=' but no key before it: treat as positional.
    if (eq > 0 && KEY.test(key)) {
      if (key in spec.params) throw new ConfigError(`${what} "${text}" sets "${key}" twice`);
      spec.params[key] = item.slice(eq + 1).trim();
    } else {
      spec.positional.push(item);
    }
  }
  return spec;
}

/** One parameter of a definition, as help texts show it. */
export interface ParameterInfo {
  name: string;
  /** What it means: the schema's `.describe()` text ("" when it has none). */
  description: string;
  /** The value used when the spec does not set it; `undefined` when there is none. */
  default: unknown;
  /** The allowed values of an enum parameter. */
  values?: string[];
}

/**
 * Reads a parameter's description, default and enum values through the wrappers zod puts around it
 * (`.default()`, `.optional()`); a description may sit on any layer.
 */
export function parameterInfo(name: string, schema: z.ZodType): ParameterInfo {
  let description = schema.description;
  let fallback: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: zod's internal definition differs per wrapper type
  let current: any = schema;
  for (;;) {
    const def = current.def;
    if (def.type === "default") fallback = def.defaultValue;
    if (def.type !== "default" && def.type !== "optional" && def.type !== "nullable") break;
    current = def.innerType;
    description ??= current.description;
  }
  const values = current.def.type === "enum" ? (current.options as unknown[]).map(String) : undefined;
  return { name, description: description ?? "", default: fallback, ...(values ? { values } : {}) };
}

/** A registered, parameterised thing (a strategy or a scorer kind). */
export interface Definition<P extends z.ZodObject, T> {
  name: string;
  aliases?: string[];
  /** One line for `--help` and error messages. */
  description: string;
  /**
   * Parameter schema; values arrive as strings, so use `z.coerce` for numbers and booleans. Give every
   * parameter a `.describe()` text: `deliberate strategies` / `scorers` list it with the default.
   */
  params: P;
  /** Parameter that a bare positional value fills (e.g. the model path of `prm:PATH`). */
  positional?: keyof z.infer<P> & string;
  create(params: z.infer<P>, canonical: string): T;
}

/**
 * A name → definition table that turns spec strings into configured objects, with errors that list
 * what is valid.
 */
export class Registry<T> {
  // biome-ignore lint/suspicious/noExplicitAny: definitions of different parameter shapes share one table
  private readonly defs = new Map<string, Definition<any, T>>();
  private readonly primary: string[] = [];

  constructor(private readonly what: string) {}

  define<P extends z.ZodObject>(def: Definition<P, T>): void {
    for (const key of [def.name, ...(def.aliases ?? [])]) {
      if (this.defs.has(key)) throw new Error(`${this.what} "${key}" is defined twice`);
      this.defs.set(key, def);
    }
    this.primary.push(def.name);
  }

  /** Primary names with their aliases, descriptions and parameters, for help texts. */
  list(): {
    name: string;
    aliases: string[];
    description: string;
    /** Parameter names, in schema order. */
    params: string[];
    /** The same parameters with their meaning and default. */
    parameters: ParameterInfo[];
  }[] {
    return this.primary.map((name) => {
      const def = this.defs.get(name)!;
      const shape = def.params.shape as Record<string, z.ZodType>;
      return {
        name,
        aliases: def.aliases ?? [],
        description: def.description,
        params: Object.keys(shape),
        parameters: Object.entries(shape).map(([key, schema]) => parameterInfo(key, schema)),
      };
    });
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  /** Parses and validates a spec, returning the configured object. */
  create(text: string): T {
    const spec = parseSpec(text, this.what);
    const def = this.defs.get(spec.name);
    if (!def) {
      const valid = this.primary
        .map((n) => {
          const aliases = this.defs.get(n)!.aliases ?? [];
          return aliases.length ? `${n} (${aliases.join(", ")})` : n;
        })
        .join(", ");
      throw new ConfigError(`unknown ${this.what} "${spec.name}"`, { hint: `valid: ${valid}` });
    }
    const raw: Record<string, unknown> = { ...spec.params };
    const shapeKeys = Object.keys(def.params.shape);
    if (spec.positional.length > 0) {
      if (!def.positional || spec.positional.length > 1) {
        throw new ConfigError(
          `${this.what} "${spec.name}" got unexpected value "${spec.positional.join(",")}"`,
          {
            hint: `write key=value with keys: ${shapeKeys.join(", ")}`,
          },
        );
      }
      if (def.positional in raw)
        throw new ConfigError(`${this.what} "${spec.name}" sets "${def.positional}" twice`);
      raw[def.positional] = spec.positional[0];
    }
    for (const key of Object.keys(raw)) {
      if (!shapeKeys.includes(key)) {
        throw new ConfigError(`unknown parameter "${key}" for ${this.what} "${def.name}"`, {
          hint: shapeKeys.length ? `valid: ${shapeKeys.join(", ")}` : "it takes no parameters",
        });
      }
    }
    const parsed = def.params.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = String(issue.path[0] ?? "");
      throw new ConfigError(
        `invalid value ${JSON.stringify(raw[key])} for "${key}" of ${this.what} "${def.name}": ${issue.message}`,
      );
    }
    return def.create(parsed.data, canonicalSpec(def.name, parsed.data));
  }
}

function canonicalSpec(name: string, params: Record<string, unknown>): string {
  const items = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  return items.length ? `${name}:${items.join(",")}` : name;
}
