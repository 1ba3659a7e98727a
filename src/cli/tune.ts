import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { warmupConfidences } from "../allocation/confidence.js";
import { DIFFICULTY_ESTIMATORS, type DifficultyEstimator } from "../allocation/difficulty.js";
import { type AllocationPolicy, writePolicy } from "../allocation/policy.js";
import { type LoadedRun, loadRun, tuneLoaded } from "../allocation/tune.js";
import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import { ConfigError } from "../core/errors.js";
import { embeddedModelPath } from "../defaults.js";
import { intArg } from "./parse.js";

interface TuneFlags {
  budgetTokens: number;
  estimator: DifficultyEstimator;
  warmup: number;
  bins: number;
  out?: string;
  json?: boolean;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  }
  return n;
}

/** `deliberate tune RUN_DIR…`: fits an allocation policy (for `--strategy auto:policy=FILE`). */
export function registerTune(program: Command): void {
  program
    .command("tune")
    .description(
      "fit a compute-optimal allocation policy (difficulty bin → strategy) from stored eval runs, for the auto strategy",
    )
    .argument("<run-dirs...>", "eval run directories of one model and task (a validation split)")
    .requiredOption(
      "--budget-tokens <n>",
      "average generated tokens per problem the policy may spend, warm-up included",
      positiveNumber,
    )
    .addOption(
      new Option("--estimator <name>", "difficulty estimate from the warm-up")
        .choices([...DIFFICULTY_ESTIMATORS])
        .default("agreement"),
    )
    .option("--warmup <k>", "warm-up samples per problem (the pool's first k)", intArg(1, 4096), 4)
    .option("--bins <n>", "most difficulty bins", intArg(1, 64), 6)
    .option("-o, --out <file>", "write the policy JSON here")
    .option("--json", "print the policy as JSON instead of a table")
    .action(async (dirs: string[], flags: TuneFlags) => {
      await tuneCommand(dirs, flags);
    });
}

async function confidencesOf(
  runs: readonly LoadedRun[],
  warmup: number,
): Promise<Map<string, Map<string, number[]>>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const run of runs) {
    const source = run.config.model;
    if (source.source === "server") {
      throw new ConfigError(
        `run ${run.dir} used a server model: tune scores confidences with local GGUF models only`,
        {
          hint: "use --estimator agreement or score",
        },
      );
    }
    const model = await LlamaCppModel.load({
      model: source.model ?? embeddedModelPath("policy"),
      contextSize: run.config.maxTokens + 512,
      parallel: 1,
    });
    try {
      out.set(run.dir, await warmupConfidences(run.dir, model, warmup));
    } finally {
      await model.close();
    }
  }
  return out;
}

function short(spec: string): string {
  return spec.replace(/,temperature=[^,]*,topP=[^,]*,topK=0(,maxTokens=\d+)?/, "");
}

/** The policy as a table. */
export function formatPolicy(policy: AllocationPolicy, oracle?: AllocationPolicy): string {
  const lines = [
    `policy for ${policy.fingerprint.model.id} on ${policy.fingerprint.task}: ${policy.estimator} over a warm-up of ${policy.warmup.samples}, budget ${policy.budgetTokens} tokens/problem`,
    "",
    `${"bin from".padEnd(12)}${"problems".padStart(9)}${"acc%".padStart(8)}${"tokens".padStart(9)}  strategy`,
  ];
  for (const bin of policy.bins) {
    const from = bin.from === null ? "-" : bin.from.toPrecision(3);
    lines.push(
      `${from.padEnd(12)}${String(bin.problems).padStart(9)}${(100 * bin.accuracy).toFixed(1).padStart(8)}${bin.tokens
        .toFixed(1)
        .padStart(9)}  ${short(bin.strategy)}`,
    );
  }
  lines.push(
    "",
    `fitted: ${(100 * policy.expected.accuracy).toFixed(1)}% at ${policy.expected.tokens.toFixed(1)} tokens/problem over ${policy.expected.problems} problems (in-sample)`,
  );
  if (oracle) {
    lines.push(
      `oracle ceiling (difficulty = the true solve rate, needs the gold answer; not runnable): ${(100 * oracle.expected.accuracy).toFixed(1)}% at ${oracle.expected.tokens.toFixed(1)} tokens/problem`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function tuneCommand(dirs: string[], flags: TuneFlags): Promise<void> {
  const runs = dirs.map(loadRun);
  const confidences = flags.estimator === "confidence" ? await confidencesOf(runs, flags.warmup) : undefined;
  const options = {
    budgetTokens: flags.budgetTokens,
    estimator: flags.estimator,
    warmup: flags.warmup,
    maxBins: flags.bins,
    ...(confidences ? { confidences } : {}),
  };
  const policy = tuneLoaded(runs, options);
  const oracle =
    flags.estimator === "oracle" ? undefined : tuneLoaded(runs, { ...options, estimator: "oracle" });
  if (flags.out) writePolicy(resolve(flags.out), policy);
  if (flags.json) process.stdout.write(`${JSON.stringify(policy)}\n`);
  else process.stdout.write(formatPolicy(policy, oracle));
  if (flags.out) process.stderr.write(`policy written to ${resolve(flags.out)}\n`);
}
