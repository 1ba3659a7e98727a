/**
 * The configuration of a `deliberate eval` run from its flags: a new run's, or the check that the
 * flags given with `--resume` agree with the stored one.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../core/errors.js";
import { resolveScorer } from "../core/resolve-scorer.js";
import { embeddedScorerSpec } from "../defaults.js";
import {
  datasetSpecs,
  type GradingKind,
  loadDataset,
  normalizeDatasetSpec,
  parseDatasetSpec,
  parseFieldMapping,
  parseWhere,
  type WhereFilter,
} from "../eval/datasets/index.js";
import type { ModelShape } from "../eval/metrics/flops.js";
import type { EvalConfig, EvalModelConfig } from "../eval/runner.js";
import { scorers } from "../scorers/registry.js";
import { createStrategy } from "../strategies/registry.js";

/** The options of `deliberate eval`, as commander parses them. */
export interface EvalFlags {
  dataset?: string;
  where: string[];
  field?: string;
  grading?: GradingKind;
  strategy: string[];
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  concurrency: number;
  out?: string;
  resume?: boolean;
  seed: number;
  model?: string;
  baseUrl?: string[];
  apiKey?: string;
  parallel?: number;
  contextSize?: number;
  scorer?: string;
  raw?: boolean;
  json?: boolean;
  modelShape?: ModelShape;
}

/** The flags that decide a run's numbers, with how each maps to the stored configuration. */
export function checkResumeFlags(flags: EvalFlags, command: Command, config: EvalConfig): void {
  const given = (name: string) => command.getOptionValueSource(name) === "cli";
  const mismatch: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (flags.dataset !== undefined && normalizeDatasetSpec(flags.dataset) !== config.dataset) {
    mismatch.push(`--dataset (run: ${config.dataset})`);
  }
  if (given("where") && !same(flags.where.map(parseWhere), config.where)) mismatch.push("--where");
  if (given("strategy")) {
    const canon = flags.strategy.map((s) => createStrategy(s).spec);
    if (
      !same(
        canon,
        config.strategies.map((s) => s.canonical),
      )
    ) {
      mismatch.push(`--strategy (run: ${config.strategies.map((s) => s.spec).join(" ") || "none"})`);
    }
  }
  const scalar: [keyof EvalFlags, string, unknown][] = [
    ["samples", "--samples", config.samples],
    ["temperature", "--temperature", config.temperature],
    ["topP", "--top-p", config.topP],
    ["maxTokens", "--max-tokens", config.maxTokens],
    ["seed", "--seed", config.seed],
    ["scorer", "--scorer", config.scorer],
  ];
  for (const [key, flag, stored] of scalar) {
    if (given(key) && flags[key] !== stored) mismatch.push(`${flag} (run: ${String(stored)})`);
  }
  if (given("raw") && Boolean(flags.raw) !== config.raw) mismatch.push(`--raw (run: ${config.raw})`);
  if (given("model") && flags.model !== config.model.model) {
    mismatch.push(`--model (run: ${config.model.model ?? "embedded"})`);
  }
  if (given("baseUrl") && urlList(flags.baseUrl) !== urlList(config.model.baseUrl)) {
    mismatch.push(`--base-url (run: ${urlList(config.model.baseUrl) || "none"})`);
  }
  if (mismatch.length > 0) {
    throw new ConfigError(
      `--resume uses the run's stored configuration, which differs in ${mismatch.join(", ")}`,
      {
        hint: "drop those flags to resume, or start a new run with another --out",
      },
    );
  }
}

/** A new run's configuration and problems; throws a ConfigError for flags that cannot make one. */
export function newRunConfig(flags: EvalFlags): {
  config: EvalConfig;
  problems: ReturnType<typeof loadDataset>["problems"];
} {
  if (!flags.dataset) {
    throw new ConfigError("no dataset given", { hint: `pass --dataset SPEC (${datasetSpecs().join(", ")})` });
  }
  if (flags.strategy.length === 0 && flags.samples === 0) {
    throw new ConfigError("nothing to evaluate", {
      hint: "pass --strategy SPEC (e.g. greedy) and/or --samples N",
    });
  }
  const where: WhereFilter[] = flags.where.map(parseWhere);
  const fields = flags.field ? parseFieldMapping(flags.field) : undefined;
  if ((fields || flags.grading) && parseDatasetSpec(flags.dataset).name !== "file") {
    throw new ConfigError("--field and --grading apply to file: datasets only");
  }
  const dataset = loadDataset(flags.dataset, {
    where,
    ...(fields ? { fields } : {}),
    ...(flags.grading ? { grading: flags.grading } : {}),
  });
  const strategies = flags.strategy.map((spec) => ({ spec, canonical: createStrategy(spec).spec }));
  const canonical = new Set<string>();
  for (const s of strategies) {
    if (canonical.has(s.canonical)) throw new ConfigError(`strategy ${s.spec} is given twice`);
    canonical.add(s.canonical);
  }
  const model: EvalModelConfig = flags.baseUrl?.length
    ? {
        source: "server",
        baseUrl: flags.baseUrl.length === 1 ? flags.baseUrl[0]! : flags.baseUrl,
        ...(flags.model ? { model: flags.model } : {}),
      }
    : flags.model
      ? { source: "gguf", model: flags.model }
      : { source: "embedded" };
  // The embedded generative PRM goes with the embedded policy, as in `deliberate run`.
  const scorer = resolveScorer(
    strategies.map((s) => ({ spec: s.spec, needsScorer: createStrategy(s.spec).needsScorer })),
    {
      given: flags.scorer,
      fallback: model.source === "embedded" ? embeddedScorerSpec : undefined,
      hint: "pass --scorer SPEC",
    },
  );
  if (scorer) scorers.create(scorer); // validate the spec before any work
  const config: EvalConfig = {
    version: 1,
    dataset: dataset.spec,
    where,
    ...(fields ? { fields } : {}),
    grading: dataset.grading,
    strategies,
    samples: flags.samples,
    temperature: flags.temperature,
    topP: flags.topP,
    maxTokens: flags.maxTokens,
    seed: flags.seed,
    model,
    ...(scorer ? { scorer } : {}),
    raw: Boolean(flags.raw),
  };
  return { config, problems: dataset.problems };
}

/** `runs/NAME-SPLIT-TIMESTAMP`, the run directory when `--out` is not given. */
export function defaultOutDir(dataset: string): string {
  const { name, split } = parseDatasetSpec(dataset);
  const base = name === "file" ? "file" : `${name}-${split}`;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").replace(/\..*$/, "");
  return join("runs", `${base}-${stamp}`);
}

/** Base URLs as one comparable string (a run stores one URL or a list). */
function urlList(urls: string | readonly string[] | undefined): string {
  return urls === undefined ? "" : typeof urls === "string" ? urls : urls.join(" ");
}
