/**
 * The allocation policy: a map from a difficulty estimate (over a few warm-up samples) to the
 * strategy spec a problem gets, fitted by `deliberate tune` and run by the `auto` strategy. Its JSON
 * file carries a fingerprint of the model and task it was fitted on; using it with another one is
 * refused, because the bins and their choices only mean something for the model that produced them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../core/errors.js";
import { DIFFICULTY_ESTIMATORS, type DifficultyEstimator } from "./difficulty.js";
import { WARMUP_FEATURES } from "./features.js";
import type { DifficultyPredictor } from "./predictor.js";

/** The `format` field of a policy file. */
export const POLICY_FORMAT = "deliberate-allocation-policy";

/** Version of the policy file layout. */
export const POLICY_VERSION = 1;

/** What a policy was fitted for. */
export interface PolicyFingerprint {
  /** The policy model: its id (file name or server model name) and, for a GGUF file, a content hash. */
  model: { id: string; sha256?: string };
  /** The task: the dataset name (`arith`, `gsm8k`, `file:NAME.jsonl`, …), not its split. */
  task: string;
}

/** The warm-up every problem gets before the policy chooses. */
export interface WarmupSettings {
  /** Samples drawn at once; they are the first samples of the chosen strategy where it can reuse them. */
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
}

/** One difficulty bin: problems whose estimate is at least `from` (and below the next bin's). */
export interface PolicyBin {
  /** Lowest estimate of the bin, inclusive; null for the first bin (everything below the second). */
  from: number | null;
  /** The canonical strategy spec problems of this bin get. */
  strategy: string;
  /** Fitting problems in the bin, their accuracy and mean generated tokens (warm-up included). */
  problems: number;
  accuracy: number;
  tokens: number;
}

/** A fitted allocation policy, as stored in its JSON file. */
export interface AllocationPolicy {
  format: typeof POLICY_FORMAT;
  version: typeof POLICY_VERSION;
  fingerprint: PolicyFingerprint;
  estimator: DifficultyEstimator;
  /** The `predicted` estimator's model (absent for the other estimators). */
  predictor?: DifficultyPredictor;
  warmup: WarmupSettings;
  /** The average generated-token budget per problem the fit respected. */
  budgetTokens: number;
  /** Bins in increasing order of `from` (higher estimate = easier). */
  bins: PolicyBin[];
  /** What the fit expects on its own problems: accuracy and mean generated tokens per problem. */
  expected: { problems: number; accuracy: number; tokens: number };
  /** The runs it was fitted on. */
  runs: string[];
}

const policySchema = z.object({
  format: z.literal(POLICY_FORMAT),
  version: z.literal(POLICY_VERSION),
  fingerprint: z.object({
    model: z.object({ id: z.string().min(1), sha256: z.string().optional() }),
    task: z.string().min(1),
  }),
  estimator: z.enum(DIFFICULTY_ESTIMATORS),
  predictor: z
    .object({
      features: z.array(z.enum(WARMUP_FEATURES)).min(1),
      center: z.array(z.number()),
      scale: z.array(z.number().positive()),
      weights: z.array(z.number()),
      intercept: z.number(),
    })
    .refine(
      (p) => [p.center, p.scale, p.weights].every((a) => a.length === p.features.length),
      "center, scale and weights need one entry per feature",
    )
    .optional(),
  warmup: z.object({
    samples: z.number().int().min(1),
    temperature: z.number().min(0),
    topP: z.number().gt(0).max(1),
    maxTokens: z.number().int().min(1),
  }),
  budgetTokens: z.number().positive(),
  bins: z
    .array(
      z.object({
        from: z.number().nullable(),
        strategy: z.string().min(1),
        problems: z.number().int().min(0),
        accuracy: z.number(),
        tokens: z.number(),
      }),
    )
    .min(1),
  expected: z.object({ problems: z.number(), accuracy: z.number(), tokens: z.number() }),
  runs: z.array(z.string()),
});

/** The bin index of a difficulty estimate: the last bin whose `from` is at most it (NaN: the first, hardest). */
export function binIndex(bins: readonly Pick<PolicyBin, "from">[], value: number): number {
  let index = 0;
  if (Number.isNaN(value)) return 0;
  bins.forEach((bin, i) => {
    if (bin.from !== null && value >= bin.from) index = i;
  });
  return index;
}

/** The bin (and its strategy) a difficulty estimate falls into. */
export function chooseBin(policy: AllocationPolicy, value: number): PolicyBin {
  return policy.bins[binIndex(policy.bins, value)]!;
}

/** Parses and validates a policy file's text. */
export function parsePolicy(text: string, source = "policy"): AllocationPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${source} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(
      `${source} is not an allocation policy: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { hint: "fit one with: deliberate tune RUN_DIR… --budget-tokens N --out policy.json" },
    );
  }
  const policy = parsed.data as AllocationPolicy;
  if (policy.estimator === "predicted" && !policy.predictor) {
    throw new ConfigError(`${source}: a predicted-difficulty policy needs its 'predictor'`, {
      hint: "fit it again with: deliberate tune RUN_DIR… --estimator predicted",
    });
  }
  for (let i = 1; i < policy.bins.length; i++) {
    const from = policy.bins[i]!.from;
    const previous = policy.bins[i - 1]!.from;
    if (from === null || (previous !== null && from <= previous)) {
      throw new ConfigError(`${source}: bin ${i} must have a 'from' above the previous bin's`);
    }
  }
  return policy;
}

/** Reads a policy file. */
export function readPolicy(file: string): AllocationPolicy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read policy ${file}: ${(cause as Error).message}`, { cause });
  }
  return parsePolicy(text, file);
}

/** Writes a policy file (pretty JSON). */
export function writePolicy(file: string, policy: AllocationPolicy): void {
  writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`);
}

/** A policy used with another model or task than it was fitted for. */
export class PolicyMismatchError extends ConfigError {}

/** The model and task a policy is about to be used with; absent parts are not checked. */
export interface UseSite {
  model?: { id: string; sha256?: string };
  task?: string;
}

/** `model ID (sha256 …) on task T`, for messages. */
export function describeFingerprint(f: { model?: { id: string; sha256?: string }; task?: string }): string {
  const parts: string[] = [];
  if (f.model)
    parts.push(`model ${f.model.id}${f.model.sha256 ? ` (sha256 ${f.model.sha256.slice(0, 12)})` : ""}`);
  if (f.task) parts.push(`task ${f.task}`);
  return parts.join(" on ");
}

/**
 * Refuses a policy fitted for another model or task, with one error naming both. The model matches
 * when the ids are equal and, where both sides have a content hash, the hashes are; the task when the
 * names are equal.
 *
 * @throws PolicyMismatchError when they differ.
 */
export function checkFingerprint(policy: AllocationPolicy, site: UseSite, source = "the policy"): void {
  const fitted = policy.fingerprint;
  const modelDiffers =
    site.model !== undefined &&
    (site.model.id !== fitted.model.id ||
      (site.model.sha256 !== undefined &&
        fitted.model.sha256 !== undefined &&
        site.model.sha256 !== fitted.model.sha256));
  const taskDiffers = site.task !== undefined && site.task !== fitted.task;
  if (!modelDiffers && !taskDiffers) return;
  throw new PolicyMismatchError(
    `${source} was fitted for ${describeFingerprint(fitted)}, not for ${describeFingerprint(site)}: its difficulty bins ` +
      "do not transfer to another model or task",
    { hint: "fit a policy on runs of this model and task: deliberate tune RUN_DIR… --budget-tokens N" },
  );
}
