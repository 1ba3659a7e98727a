/**
 * The shape of an evaluation summary: per difficulty level (and overall) one row per metric, each with
 * its 95% bootstrap CI and its policy compute per problem. What `--json` prints and `summary.json` holds.
 */
import type { RunModelShape } from "./model-shape.js";
import type { EvalConfig } from "./runner.js";

/** Kinds of metric rows. */
export type MetricKind = "strategy" | "pass@1" | "majority" | "coverage" | "best-of-n" | "weighted-majority";

/** One metric of one group: mean over the group's problems with its 95% bootstrap CI. */
export interface MetricRow {
  /** Display name: the strategy spec, `pass@1`, `maj@4`, `coverage@8`, `bon@4`, `wmaj@4`. */
  name: string;
  kind: MetricKind;
  k?: number;
  /** Canonical strategy spec, for strategy rows. */
  strategy?: string;
  value: number;
  ci: [number, number];
  /** Mean generated tokens per problem: the strategy's, or k pool samples' for pool metrics at k. */
  tokensPerProblem?: number;
  /** Mean policy compute per problem, on the same terms as `tokensPerProblem`. */
  compute?: ComputeCost;
}

/**
 * Policy-model compute per problem (a mean over problems). A strategy's is what its run used; a pool
 * metric at k (pass@1 is k = 1) is the expected cost of k pool samples drawn in one request: k times
 * the mean sample's generated tokens, FLOPs, bytes and eFLOPs, with the request's prompt tokens and
 * one call. Scorer compute is not included.
 */
export interface ComputeCost {
  /** Prompt tokens, counted once per request (the `Usage` convention). */
  promptTokens: number;
  generatedTokens: number;
  /** Backend calls. */
  calls: number;
  /** Dense + attention FLOPs (metrics/flops.ts; each sequence pays its whole prompt); null without a model shape. */
  flops: number | null;
  /** Bytes read from memory: weights and KV cache; null without a model shape. */
  bytes: number | null;
  /** Kinetics-style cost, flops + intensity · bytes; null without a model shape. */
  eflops: number | null;
}

/** How the cost figures of a summary were computed. */
export interface CostSettings {
  /** The model shape (from the GGUF or `--model-shape`); null: FLOPs, bytes and eFLOPs are null. */
  shape: RunModelShape | null;
  /** FLOPs per byte of memory bandwidth that converts bytes into eFLOPs. */
  intensity: number;
  /** Sequences assumed to share each read of the weights. */
  batchSize: number;
}

/** The metrics of one difficulty level, or of all problems (`level` null). */
export interface GroupSummary {
  label: string;
  level: number | null;
  problems: number;
  metrics: MetricRow[];
}

/** The whole summary: what `--json` prints and `summary.json` holds. */
export interface EvalSummary {
  dataset: string;
  where: EvalConfig["where"];
  grading: EvalConfig["grading"];
  model: EvalConfig["model"] & { id?: string };
  scorer: string | null;
  seed: number;
  pool: { samples: number; temperature: number; topP: number; maxTokens: number };
  strategies: EvalConfig["strategies"];
  /** k values of maj@k / coverage@k. */
  ks: number[];
  cost: CostSettings;
  problems: { total: number; completed: number };
  counts: { samples: number; results: number };
  groups: GroupSummary[];
  /** This invocation's generation speed, when it generated anything. */
  speed?: {
    wallSeconds: number;
    problems: number;
    samples: number;
    completionTokens: number;
    samplesPerSecond: number;
    tokensPerSecond: number;
  };
  ci: { level: number; resamples: number; seed: number };
}
