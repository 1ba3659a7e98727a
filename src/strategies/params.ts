import { z } from "zod";

/**
 * The sampling parameters of the strategies' specs (each with its meaning, for `deliberate
 * strategies`) and the settings a sampling strategy runs with.
 */

/** Sampling parameters shared by the parallel strategies' specs. */
export const samplingParams = {
  temperature: z.coerce.number().min(0).max(5).default(0.8).describe("sampling temperature (0 is greedy)"),
  topP: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe("nucleus sampling: draw from the most likely tokens that hold this probability (1 is off)"),
  topK: z.coerce.number().int().min(0).default(0).describe("draw from the k most likely tokens (0 is off)"),
  maxTokens: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .describe("most tokens per solution (default: the run's, 512 unless --max-tokens says otherwise)"),
};

/** Number of samples: at least 1, at most 4096 per run. */
export const samplesParam = (fallback: number, description = "samples drawn") =>
  z.coerce.number().int().min(1).max(4096).default(fallback).describe(description);

/** How a strategy samples: how many, with which sampling parameters, and whether with logprobs. */
export interface SampleSettings {
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  maxTokens?: number;
  logprobs?: boolean;
}
