import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import { AbortedError, ConfigError } from "../core/errors.js";
import type { LanguageModel } from "../core/model.js";
import type { Scorer } from "../core/scorer.js";
import { embeddedModelPath, embeddedScorerSpec } from "../defaults.js";
import {
  datasetSpecs,
  type EvalProblem,
  type GradingKind,
  loadDataset,
  normalizeDatasetSpec,
  parseDatasetSpec,
  parseFieldMapping,
  parseWhere,
  type WhereFilter,
} from "../eval/datasets/index.js";
import type { ModelShape } from "../eval/metrics/flops.js";
import { parseModelShape, readGgufModelShape } from "../eval/model-shape.js";
import { ProgressLine } from "../eval/progress.js";
import {
  type EvalConfig,
  type EvalModelConfig,
  type ExecuteStats,
  executeRun,
  modelPrompt,
} from "../eval/runner.js";
import { RunStore } from "../eval/store.js";
import { formatSummary, summarizeRun } from "../eval/summary.js";
import { scorers } from "../scorers/registry.js";
import { createStrategy } from "../strategies/registry.js";
import { embeddedTaskNote, isArithPrompt } from "./embedded-task.js";
import { openModel } from "./open-model.js";
import { collectArg, intArg } from "./parse.js";

interface EvalFlags {
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

/** Commander parser for a number in [min, max] (or (min, max] with `exclusiveMin`). */
function numberArg(min: number, max: number, exclusiveMin = false) {
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

const collect = (value: string, previous: string[]): string[] => [...previous, value];

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

/** `deliberate eval`: a dataset × strategies evaluation into a resumable run directory. */
export function registerEval(program: Command): void {
  program
    .command("eval")
    .description(
      "evaluate strategies and sample pools on a dataset (resumable run store, pass@k, maj@k, CIs)",
    )
    .option(
      "-d, --dataset <spec>",
      `NAME:SPLIT[:LIMIT] or file:PATH[:LIMIT] (${datasetSpecs().join(", ")}); arith's LIMIT is per level`,
    )
    .addOption(
      new Option("--where <field=value>", "keep problems whose field equals value (repeatable)")
        .argParser(collect)
        .default([], "none"),
    )
    .option("--field <mapping>", "field mapping of a file: dataset, e.g. prompt=question,gold=answer")
    .addOption(
      new Option("--grading <kind>", "grading of a file: dataset (default math)").choices([
        "math",
        "arith",
        "code",
      ]),
    )
    .addOption(
      new Option(
        "-s, --strategy <spec>",
        "strategy to run on every problem (repeatable), e.g. greedy, sc:n=8",
      )
        .argParser(collect)
        .default([], "none"),
    )
    .option("-n, --samples <n>", "pool samples per problem for pass@k / maj@k (0: none)", intArg(0, 4096), 0)
    .option("--temperature <t>", "temperature of the pool samples", numberArg(0, 5), 0.8)
    .option("--top-p <p>", "top-p of the pool samples", numberArg(0, 1, true), 1)
    .option("--max-tokens <n>", "most tokens per solution (pool and strategies)", intArg(1), 512)
    .option("-c, --concurrency <k>", "problems in flight at once", intArg(1, 1024), 4)
    .option("-o, --out <dir>", "run directory (default runs/NAME-SPLIT-TIMESTAMP)")
    .option("--resume", "continue the run in --out DIR with its stored configuration")
    .option("--seed <n>", "seed of the run", intArg(0, 2 ** 31 - 1), 0)
    .option(
      "-m, --model <path|hf:uri|name>",
      "GGUF path or hf: URI; with --base-url, the server's model name",
    )
    .option(
      "--base-url <url>",
      "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; repeat for a fleet serving the same model",
      collectArg,
    )
    .option("--api-key <key>", "API key for --base-url (default: $OPENAI_API_KEY)")
    .option(
      "--parallel <n>",
      "sequences decoded at once (embedded) or requests in flight (server)",
      intArg(1, 1024),
    )
    .option(
      "--context-size <n>",
      "context of each sequence, embedded models (default: fits the longest prompt + --max-tokens)",
      intArg(16, 1 << 20),
    )
    .option("--scorer <spec>", "scorer: scores the pool once (bon@k, wmaj@k) and serves scored strategies")
    .option("--raw", "send raw text prompts even to a chat model")
    .option("--model-shape <shape>", MODEL_SHAPE_HELP, modelShapeArg)
    .option("--json", "print the summary as one JSON object")
    .action(async (flags: EvalFlags, command: Command) => {
      await evalCommand(flags, command);
    });
}

/** The flags that decide a run's numbers, with how each maps to the stored configuration. */
function checkResumeFlags(flags: EvalFlags, command: Command, config: EvalConfig): void {
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

function newRunConfig(flags: EvalFlags): {
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
  let scorer = flags.scorer;
  if (scorer) scorers.create(scorer); // validate the spec before any work
  const needsScorer = strategies.some((s) => createStrategy(s.spec).needsScorer);
  if (needsScorer && !scorer) {
    if (model.source !== "embedded") {
      throw new ConfigError("a strategy needs a scorer", { hint: "pass --scorer SPEC" });
    }
    scorer = embeddedScorerSpec; // the embedded generative PRM goes with the embedded policy, as in `deliberate run`
  }
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

function defaultOutDir(dataset: string): string {
  const { name, split } = parseDatasetSpec(dataset);
  const base = name === "file" ? "file" : `${name}-${split}`;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").replace(/\..*$/, "");
  return join("runs", `${base}-${stamp}`);
}

/**
 * Opens the run's model. An embedded (GGUF) model gets a context that fits the longest prompt plus
 * `--max-tokens`, unless `--context-size` says otherwise, so that no problem fails for lack of room
 * and results do not depend on the model's default context.
 */
async function openEvalModel(
  config: EvalConfig,
  flags: EvalFlags,
  problems: readonly EvalProblem[],
): Promise<LanguageModel> {
  if (config.model.source === "server") {
    const apiKey = flags.apiKey ?? process.env.OPENAI_API_KEY;
    const { model } = await openModel({
      baseUrl: config.model.baseUrl!,
      ...(config.model.model ? { model: config.model.model } : {}),
      ...(flags.parallel ? { parallel: flags.parallel } : {}),
      ...(apiKey ? { apiKey } : {}),
    });
    return model;
  }
  const path = config.model.model ?? embeddedModelPath("policy");
  const options = { model: path, ...(flags.parallel ? { parallel: flags.parallel } : {}) };
  if (flags.contextSize) return LlamaCppModel.load({ ...options, contextSize: flags.contextSize });
  const model = await LlamaCppModel.load(options);
  let longest = 0;
  for (const p of problems) {
    const prompt = modelPrompt(p, model.capabilities.chat, config.raw);
    longest = Math.max(longest, model.encodePrompt(prompt).length);
  }
  const needed = longest + config.maxTokens;
  if (needed <= model.contextSize) return model;
  const contextSize = Math.ceil(needed / 256) * 256;
  process.stderr.write(
    `context raised from ${model.contextSize} to ${contextSize} tokens: the longest prompt has ${longest} ` +
      `tokens, plus --max-tokens ${config.maxTokens} (set it with --context-size)\n`,
  );
  await model.close();
  return LlamaCppModel.load({ ...options, contextSize });
}

/**
 * Records the model shape of the run's cost figures: `--model-shape` when given (it replaces a stored
 * one), else, when the run has none yet, the GGUF metadata of an embedded model. A server's model has
 * no shape unless given: its FLOPs are then null, and stderr says so.
 */
async function recordModelShape(
  store: RunStore,
  model: LanguageModel,
  given: ModelShape | undefined,
): Promise<void> {
  if (given) {
    store.setModelShape({ ...given, source: "user" });
    return;
  }
  if (store.modelShape()) return;
  const shape = model instanceof LlamaCppModel ? await readGgufModelShape(model.file) : null;
  if (shape) store.setModelShape({ ...shape, source: "gguf" });
  else {
    process.stderr.write(
      `the model's shape is unknown: FLOPs and eFLOPs are not reported (give it with --model-shape ` +
        `params=…,layers=…,dModel=…,kvDim=…,bytesPerParam=…)\n`,
    );
  }
}

async function evalCommand(flags: EvalFlags, command: Command): Promise<void> {
  let store: RunStore;
  let config: EvalConfig;
  let fresh: ReturnType<typeof newRunConfig> | undefined;
  let dir: string;
  if (flags.resume) {
    if (!flags.out) throw new ConfigError("--resume needs the run directory", { hint: "pass --out DIR" });
    dir = resolve(flags.out);
    if (!RunStore.exists(dir)) {
      throw new ConfigError(`no run to resume in ${dir} (${RunStore.fileOf(dir)} is missing)`, {
        hint: "drop --resume to start a new run there",
      });
    }
    store = RunStore.open(dir);
    config = store.config<EvalConfig>();
    try {
      checkResumeFlags(flags, command, config);
    } catch (error) {
      store.close();
      throw error;
    }
  } else {
    fresh = newRunConfig(flags);
    config = fresh.config;
    dir = resolve(flags.out ?? defaultOutDir(config.dataset));
    if (RunStore.exists(dir)) {
      throw new ConfigError(`${dir} already holds a run`, {
        hint: "pass --resume to continue it, or choose another --out",
      });
    }
    store = undefined as unknown as RunStore;
  }

  let model: LanguageModel | undefined;
  let scorer: Scorer | undefined;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  try {
    const pendingProblems = fresh ? fresh.problems : store.problems().filter((p) => !p.completed);
    if (config.model.source === "embedded") {
      const other = pendingProblems.filter((p) => !isArithPrompt(p.prompt)).length;
      if (other > 0) {
        process.stderr.write(embeddedTaskNote(`${other} of ${pendingProblems.length} problems are not`));
      }
    }
    model = await openEvalModel(config, flags, pendingProblems);
    if (config.scorer) scorer = await scorers.create(config.scorer).open();
    if (fresh) store = RunStore.create(dir, fresh.config, fresh.problems);
    await recordModelShape(store, model, flags.modelShape);
    const before = store.counts();
    const pendingCount = before.problems - before.completed;
    process.stderr.write(
      `${flags.resume ? "resuming" : "run"} ${dir}: ${config.dataset}, ${before.problems} problems` +
        `${before.completed ? ` (${before.completed} already done)` : ""}\n`,
    );
    const progress = new ProgressLine(pendingCount, process.stderr, "eval", before.completed);
    process.once("SIGINT", onSigint);
    let stats: ExecuteStats;
    try {
      stats = await executeRun(store, {
        model,
        ...(scorer ? { scorer } : {}),
        concurrency: flags.concurrency,
        signal: controller.signal,
        onProblem: (p) => progress.tick(p.samples, p.completionTokens),
      });
    } catch (error) {
      progress.finish();
      if (controller.signal.aborted || error instanceof AbortedError) {
        throw new AbortedError(
          `the evaluation was interrupted (${store.counts().completed}/${before.problems} problems stored); ` +
            `continue it with: deliberate eval --resume --out ${dir}`,
        );
      }
      throw error;
    }
    progress.finish();
    const summary = summarizeRun(store, { stats, modelId: model.id });
    writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else process.stdout.write(formatSummary(summary));
    process.stderr.write(`run directory: ${dir} (summary.json, ${RunStore.fileOf(dir)})\n`);
  } finally {
    process.off("SIGINT", onSigint);
    store?.close();
    await scorer?.close?.();
    await model?.close();
  }
}

/** Base URLs as one comparable string (a run stores one URL or a list). */
function urlList(urls: string | readonly string[] | undefined): string {
  return urls === undefined ? "" : typeof urls === "string" ? urls : urls.join(" ");
}
