/**
 * The model shape behind a run's cost figures (FLOPs, memory bytes, eFLOPs; see metrics/flops.ts):
 * read from the GGUF metadata of an embedded model, or given by the user (`--model-shape`) for a
 * server whose model is unknown to deliberate. Without a shape the cost figures are null, never
 * guessed.
 */
import { GgufInsights, readGgufFileInfo } from "node-llama-cpp";
import { ConfigError } from "../core/errors.js";
import { type ModelShape, validateModelShape } from "./metrics/flops.js";

/** A model shape with where it came from, as stored in a run. */
export interface RunModelShape extends ModelShape {
  /** `gguf`: the model file's metadata; `user`: `--model-shape`. */
  source: "gguf" | "user";
}

const SHAPE_KEYS = ["params", "layers", "dModel", "kvDim", "bytesPerParam", "bytesPerKv"] as const;
const REQUIRED: readonly string[] = SHAPE_KEYS.filter((k) => k !== "bytesPerKv");

/**
 * Parses `params=7e9,layers=32,dModel=4096,kvDim=1024,bytesPerParam=2[,bytesPerKv=2]`.
 *
 * @throws ConfigError for an unknown or missing key, or a value that is not a positive number.
 */
export function parseModelShape(text: string): ModelShape {
  const hint = `write ${REQUIRED.map((k) => `${k}=N`).join(",")}[,bytesPerKv=N]`;
  const values: Record<string, number> = {};
  for (const item of text.split(",")) {
    if (item.trim() === "") continue;
    const [key = "", value = "", ...rest] = item.split("=").map((s) => s.trim());
    if (!(SHAPE_KEYS as readonly string[]).includes(key) || rest.length > 0) {
      throw new ConfigError(`invalid model shape item "${item.trim()}"`, {
        hint: `keys: ${SHAPE_KEYS.join(", ")}; ${hint}`,
      });
    }
    if (key in values) throw new ConfigError(`model shape "${text}" sets ${key} twice`);
    values[key] = value === "" ? Number.NaN : Number(value);
  }
  const missing = REQUIRED.filter((k) => !(k in values));
  if (missing.length > 0)
    throw new ConfigError(`model shape "${text}" lacks ${missing.join(", ")}`, { hint });
  const shape = values as unknown as ModelShape;
  validateModelShape(shape);
  return shape;
}

/** The `--model-shape` text of a shape (round-trips through {@link parseModelShape}). */
export function formatModelShape(shape: ModelShape): string {
  return SHAPE_KEYS.filter((k) => shape[k] !== undefined)
    .map((k) => `${k}=${shape[k]}`)
    .join(",");
}

/**
 * The shape of a GGUF model from its metadata and tensor table:
 * - `params`: every weight of the file's tensors (the embedding table included, as model cards count);
 * - `layers`: `<arch>.block_count`; `dModel`: `<arch>.embedding_length`;
 * - `kvDim`: `head_count_kv × head_dim`, with head_dim the mean of `attention.key_length` and
 *   `value_length` (default `embedding_length / head_count`); a per-layer head count is averaged;
 * - `bytesPerParam`: the tensors' bytes / params (the mean over the file's quantisation types);
 * - `bytesPerKv`: 2 (the embedded backend's F16 KV cache).
 *
 * Returns null when the metadata lacks one of these (a non-transformer architecture, say).
 */
export async function readGgufModelShape(file: string): Promise<ModelShape | null> {
  const info = await readGgufFileInfo(file, { readTensorInfo: true });
  const insights = await GgufInsights.from(info);
  const arch = info.architectureMetadata as {
    block_count?: number;
    embedding_length?: number;
    attention?: {
      head_count?: number | number[];
      head_count_kv?: number | number[];
      key_length?: number;
      value_length?: number;
    };
  };
  const meanOf = (x: number | number[] | undefined): number | undefined =>
    Array.isArray(x) ? (x.length > 0 ? x.reduce((s, v) => s + v, 0) / x.length : undefined) : x;
  const layers = arch.block_count;
  const dModel = arch.embedding_length;
  const heads = meanOf(arch.attention?.head_count);
  const kvHeads = meanOf(arch.attention?.head_count_kv) ?? heads;
  const params = insights.totalParameters;
  if (!layers || !dModel || !heads || !kvHeads || !(params > 0) || !(insights.modelSize > 0)) return null;
  const headDim =
    ((arch.attention?.key_length ?? dModel / heads) + (arch.attention?.value_length ?? dModel / heads)) / 2;
  return {
    params,
    layers,
    dModel,
    kvDim: kvHeads * headDim,
    bytesPerParam: insights.modelSize / params,
    bytesPerKv: 2,
  };
}
