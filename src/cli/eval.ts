import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { AbortedError, ConfigError } from "../core/errors.js";
import type { LanguageModel } from "../core/model.js";
import type { Scorer } from "../core/scorer.js";
import { datasetSpecs } from "../eval/datasets/index.js";
import { ProgressLine } from "../eval/progress.js";
import { type EvalConfig, type ExecuteStats, executeRun } from "../eval/runner.js";
import { RunStore } from "../eval/store.js";
import { formatSummary, summarizeRun } from "../eval/summary.js";
import { scorers } from "../scorers/registry.js";
import { embeddedTaskNote, isArithPrompt } from "./embedded-task.js";
import { checkResumeFlags, defaultOutDir, type EvalFlags, newRunConfig } from "./eval-config.js";
import { openEvalModel, recordModelShape } from "./eval-model.js";
import { collectArg, intArg, MODEL_SHAPE_HELP, modelShapeArg, numberArg } from "./parse.js";

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
        .argParser(collectArg)
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
        .argParser(collectArg)
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
