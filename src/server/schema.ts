import { z } from "zod";

/** Limits on what one request may ask for. */
export interface ServerLimits {
  /** Largest request body in bytes (413 beyond). Default 1 MiB. */
  maxBodyBytes: number;
  /**
   * Most choices (`n`) of a plain request (400 beyond, with llama.cpp's wording
   * "Value must be between 1 <= value <= N", which clients such as deliberate's own backend use to
   * split large `n`). Default 16.
   */
  maxChoices: number;
  /** Largest `max_tokens` per solution. Default 4096. */
  maxTokens: number;
  /**
   * Most tokens one strategy run may generate in all (the run's budget is capped to it; a request
   * asking for more is a 400). Default 65536.
   */
  maxBudgetTokens: number;
  /** Longest wall time of one strategy run in ms (the budget's `maxWallMs` is capped to it). Default 300000. */
  maxWallMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: 1024 * 1024,
  maxChoices: 16,
  maxTokens: 4096,
  maxBudgetTokens: 65536,
  maxWallMs: 300_000,
};

const positiveInt = z.number().int().positive();

/** The `deliberate` extension object of a request body. */
export const deliberateSchema = z.strictObject({
  strategy: z.string().min(1).max(2000).optional(),
  scorer: z.string().min(1).max(2000).optional(),
  /** The judge model of rank, fuse and critique: a name the server lists, or the base model's. */
  judge: z.string().min(1).max(200).optional(),
  budget: z
    .strictObject({
      maxCompletionTokens: positiveInt.optional(),
      maxCalls: positiveInt.optional(),
      maxWallMs: positiveInt.optional(),
    })
    .optional(),
  include_candidates: z.boolean().optional(),
});

export type DeliberateOptions = z.infer<typeof deliberateSchema>;

const textPart = z.object({ type: z.literal("text"), text: z.string() });

const message = z.object({
  role: z.enum(["system", "developer", "user", "assistant"]),
  content: z.union([z.string(), z.array(textPart).min(1)]),
  name: z.string().optional(),
});

const stop = z
  .union([z.string().min(1), z.array(z.string().min(1)).max(8)])
  .nullish()
  .transform((s) => (s == null ? undefined : Array.isArray(s) ? s : [s]));

/** Fields both endpoints share. Unknown OpenAI fields (penalties, user, …) are accepted and ignored. */
function common(limits: ServerLimits) {
  return {
    model: z.string().min(1).max(4000),
    n: z
      .number()
      .int()
      .nullish()
      .refine((n) => n == null || (n >= 1 && n <= limits.maxChoices), {
        message: `Value must be between 1 <= value <= ${limits.maxChoices}`,
      }),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().gt(0).max(1).nullish(),
    top_k: z.number().int().min(0).nullish(),
    max_tokens: z.number().int().min(1).max(limits.maxTokens).nullish(),
    stop,
    seed: z.number().int().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
    deliberate: deliberateSchema.optional(),
  };
}

/** `POST /v1/chat/completions` body. */
export function chatRequestSchema(limits: ServerLimits) {
  return z.looseObject({
    ...common(limits),
    messages: z.array(message).min(1).max(1000),
    max_completion_tokens: z.number().int().min(1).max(limits.maxTokens).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
  });
}

/** `POST /v1/completions` body. */
export function completionRequestSchema(limits: ServerLimits) {
  return z.looseObject({
    ...common(limits),
    prompt: z
      .union([z.string(), z.array(z.string()).length(1)])
      .transform((p) => (Array.isArray(p) ? p[0]! : p)),
    logprobs: z.number().int().min(0).max(20).nullish(),
    echo: z
      .boolean()
      .nullish()
      .refine((e) => !e, { message: "echo is not supported by this server" }),
    suffix: z
      .string()
      .nullish()
      .refine((s) => !s, { message: "suffix is not supported by this server" }),
  });
}

export type ChatRequest = z.infer<ReturnType<typeof chatRequestSchema>>;
export type CompletionRequestBody = z.infer<ReturnType<typeof completionRequestSchema>>;
