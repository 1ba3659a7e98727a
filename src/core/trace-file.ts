import { z } from "zod";
import { ConfigError } from "./errors.js";
import type { StrategyResult } from "./strategy.js";

const usageSchema = z.object({
  promptTokens: z.number().int().min(0),
  cachedPromptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
  calls: z.number().int().min(0),
  wallMs: z.number().min(0),
});

/** A number that JSON cannot hold (NaN, ±∞) is written as null. */
const score = z.number().nullable();

const nodeSchema = z.object({
  id: z.number().int().min(0).describe("position in `nodes`, from 0"),
  parent: z.number().int().min(0).nullable().describe("id of the parent node; null for a root"),
  text: z.string().describe("text this node added: one step (search) or a whole solution"),
  tokens: z.number().int().min(0).describe("tokens generated for this node's text"),
  status: z
    .enum(["candidate", "expanded", "pruned", "resampled", "selected", "final"])
    .describe("what the strategy did with the node"),
  score: score.optional().describe("scorer value (aggregated over the path's steps for search nodes)"),
  answer: z.string().nullable().optional().describe("answer extracted from a complete solution"),
  visits: z.number().int().min(0).optional().describe("MCTS visit count"),
  value: score.optional().describe("MCTS mean value"),
  meta: z.record(z.string(), z.unknown()).optional().describe("strategy-specific fields"),
});

/** The JSON file `deliberate run --trace FILE` writes; documented in docs/trace.md. */
export const traceFileSchema = z.object({
  version: z.literal(1),
  strategy: z.string().describe("canonical spec of the strategy that ran"),
  prompt: z.string(),
  answer: z.string().nullable(),
  stopReason: z.enum(["completed", "budget", "aborted", "early-stop"]),
  usage: usageSchema.describe("policy-model usage"),
  scorerUsage: usageSchema.describe("scorer and judge usage"),
  nodes: z.array(nodeSchema),
});

/** A parsed trace file. */
export type TraceFile = z.infer<typeof traceFileSchema>;

const finiteOrNull = (v: number | undefined) => (v === undefined ? undefined : Number.isFinite(v) ? v : null);

/** The trace file of a run. */
export function toTraceFile(result: StrategyResult, prompt: string): TraceFile {
  return {
    version: 1,
    strategy: result.strategy,
    prompt,
    answer: result.answer,
    stopReason: result.stopReason,
    usage: result.usage,
    scorerUsage: result.scorerUsage,
    nodes: result.trace.map((node) => {
      const { score: s, value: v, ...rest } = node;
      return {
        ...rest,
        ...(s !== undefined ? { score: finiteOrNull(s) ?? null } : {}),
        ...(v !== undefined ? { value: finiteOrNull(v) ?? null } : {}),
      };
    }),
  };
}

/**
 * Parses and checks a trace file's JSON: the schema, plus that node ids are their positions and
 * every parent exists.
 */
export function parseTraceFile(json: unknown): TraceFile {
  const parsed = traceFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`not a deliberate trace file: ${z.prettifyError(parsed.error)}`, {
      hint: "trace files come from `deliberate run --trace FILE`; see docs/trace.md",
    });
  }
  const nodes = parsed.data.nodes;
  nodes.forEach((node, i) => {
    if (node.id !== i) throw new ConfigError(`trace node at position ${i} has id ${node.id}`);
    if (node.parent !== null && (node.parent >= nodes.length || node.parent === i)) {
      throw new ConfigError(`trace node ${i} names a missing parent ${node.parent}`);
    }
  });
  return parsed.data;
}

/** The JSON Schema (draft 2020-12) of trace files, as written to docs/trace.schema.json. */
export function traceJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(traceFileSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
}
