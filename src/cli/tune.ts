import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { warmupConfidences } from "../allocation/confidence.js";
import { DIFFICULTY_ESTIMATORS, type DifficultyEstimator } from "../allocation/difficulty.js";
import { WARMUP_FEATURES, type WarmupFeature } from "../allocation/features.js";
import { type AllocationPolicy, writePolicy } from "../allocation/policy.js";
import { type ConfigScore, selectPolicy } from "../allocation/select.js";
import { type LoadedRun, loadRun, type TuneOptions, tuneLoaded } from "../allocation/tune.js";
import { LlamaCppModel } from "../backends/llama-cpp/index.js";
import { ConfigError } from "../core/errors.js";
import { embeddedModelPath } from "../defaults.js";
import { intArg } from "./parse.js";

interface TuneFlags {
  budgetTokens: number;
  estimator: DifficultyEstimator[];
  warmup: number[];
  bins: number[];
  folds: number;
  features?: WarmupFeature[];
  l2?: number;
  out?: string;
  json?: boolean;
}

/** A comma-separated list whose items `parse` checks. */
function listArg<T>(parse: (item: string) => T) {
  return (value: string): T[] => {
    const items = value.split(",").map((item) => item.trim());
    if (items.some((item) => item === ""))
      throw new InvalidArgumentError(`expected a comma-separated list, got "${value}"`);
    return [...new Set(items.map(parse))];
  };
}

function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`"${value}" is not one of ${choices.join(", ")}`);
    }
    return value as T;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  }
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
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
    .option(
      "--estimator <names>",
      `difficulty estimate from the warm-up: ${DIFFICULTY_ESTIMATORS.join(", ")} (a comma-separated list: chosen by cross-validation)`,
      listArg(oneOf(DIFFICULTY_ESTIMATORS)),
      ["agreement" as DifficultyEstimator],
    )
    .option(
      "--warmup <k>",
      "warm-up samples per problem, the pool's first k (a list: chosen by cross-validation)",
      listArg(intArg(1, 4096)),
      [4],
    )
    .option(
      "--bins <n>",
      "most difficulty bins (a list: chosen by cross-validation)",
      listArg(intArg(1, 64)),
      [6],
    )
    .option(
      "--folds <n>",
      "cross-validation folds when a list offers several configurations",
      intArg(2, 100),
      5,
    )
    .option(
      "--features <names>",
      `warm-up features of the predicted estimator (default: all the runs allow): ${WARMUP_FEATURES.join(", ")}`,
      listArg(oneOf(WARMUP_FEATURES)),
    )
    .addOption(
      new Option("--l2 <x>", "L2 penalty of the predicted estimator's logistic model (default 1)").argParser(
        nonNegativeNumber,
      ),
    )
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
    ...(policy.predictor
      ? [
          `predicted solve rate from ${policy.predictor.features
            .map(
              (f, i) =>
                `${f} (${policy.predictor!.weights[i]! >= 0 ? "+" : ""}${policy.predictor!.weights[i]!.toFixed(2)})`,
            )
            .join(", ")}`,
        ]
      : []),
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

/** The cross-validation table: one line per configuration. */
export function formatSelection(scores: readonly ConfigScore[], chosen: ConfigScore | undefined): string {
  const lines = [
    `${"estimator".padEnd(12)}${"warm-up".padStart(8)}${"bins".padStart(6)}${"held-out acc%".padStart(15)}${"tokens".padStart(9)}`,
  ];
  for (const s of scores) {
    const mark = s === chosen ? "  ← chosen" : "";
    lines.push(
      `${s.estimator.padEnd(12)}${String(s.warmup).padStart(8)}${String(s.maxBins).padStart(6)}` +
        `${(s.accuracy === null ? "over budget" : (100 * s.accuracy).toFixed(1)).padStart(15)}` +
        `${(s.tokens === null ? "-" : s.tokens.toFixed(1)).padStart(9)}${mark}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function tuneCommand(dirs: string[], flags: TuneFlags): Promise<void> {
  const runs = dirs.map(loadRun);
  const confidenceWarmup = Math.max(...flags.warmup);
  const confidences = flags.estimator.includes("confidence")
    ? await confidencesOf(runs, confidenceWarmup)
    : undefined;
  const shared: Omit<TuneOptions, "estimator" | "warmup" | "maxBins"> = {
    budgetTokens: flags.budgetTokens,
    ...(confidences ? { confidences } : {}),
    ...(flags.features ? { features: flags.features } : {}),
    ...(flags.l2 !== undefined ? { l2: flags.l2 } : {}),
  };
  const several = flags.estimator.length * flags.warmup.length * flags.bins.length > 1;
  let policy: AllocationPolicy;
  let maxBins = flags.bins[0]!;
  let table = "";
  if (several) {
    const selection = selectPolicy(runs, {
      ...shared,
      estimators: flags.estimator,
      warmups: flags.warmup,
      bins: flags.bins,
      folds: flags.folds,
    });
    policy = selection.policy;
    maxBins = selection.config.maxBins;
    const chosen = selection.scores.find(
      (s) =>
        s.estimator === selection.config.estimator &&
        s.warmup === selection.config.warmup &&
        s.maxBins === selection.config.maxBins,
    );
    table = `cross-validation over ${flags.folds} folds (held-out accuracy and tokens per problem):\n${formatSelection(selection.scores, chosen)}\n`;
  } else {
    policy = tuneLoaded(runs, {
      ...shared,
      estimator: flags.estimator[0]!,
      warmup: flags.warmup[0]!,
      maxBins,
    });
  }
  const oracle =
    policy.estimator === "oracle"
      ? undefined
      : tuneLoaded(runs, {
          ...shared,
          estimator: "oracle",
          warmup: policy.warmup.samples,
          maxBins,
        });
  if (flags.out) writePolicy(resolve(flags.out), policy);
  if (flags.json) process.stdout.write(`${JSON.stringify(policy)}\n`);
  else process.stdout.write(table + formatPolicy(policy, oracle));
  if (flags.out) process.stderr.write(`policy written to ${resolve(flags.out)}\n`);
}
