/**
 * Inference cost per problem, in the two currencies scaling papers use: FLOPs (Kaplan et al. 2020)
 * and a memory-traffic-aware cost in the spirit of Kinetics (Sadhukhan et al., 2025, "Kinetics:
 * Rethinking Test-Time Scaling Laws"), which argues that long generations are bound by reading the
 * KV cache, not by arithmetic, so FLOPs alone under-price long chains of thought.
 *
 * Formulas (decoder-only transformer, one sequence of P prompt tokens and G generated tokens,
 * T = P + G, token t attending to t positions):
 * - dense FLOPs      = 2 · params · T
 * - attention FLOPs  = Σ_{t=1..T} 2 · layers · t · dModel = layers · dModel · T · (T + 1)
 *   (the 2·n_layer·n_ctx·d_attn per-token term of Kaplan et al., with d_attn = dModel)
 * - memory bytes     = params · bytesPerParam / batchSize · (G + 1)
 *                      + Σ_{g=1..G} 2 · layers · kvDim · (P + g) · bytesPerKv
 *   i.e. every decode step reads the weights (shared by the batch, hence / batchSize; the +1 is the
 *   prefill pass) and each generated token reads its sequence's whole K and V cache (2 · kvDim values
 *   per layer per position).
 * - eFLOPs           = FLOPs + intensity · memory bytes, where intensity is the accelerator's FLOPs per
 *   byte of memory bandwidth, converting memory time into equivalent FLOPs (Kinetics' cost).
 *
 * docs/evaluation.md ("Compute per problem") repeats these formulas and says how `deliberate eval`
 * applies them; keep the two in sync.
 */
import { ConfigError } from "../../core/errors.js";

/** The model dimensions the cost model needs. */
export interface ModelShape {
  /**
   * Parameter count: the weights read per decoded token (non-embedding parameters are the usual
   * choice; the GGUF reader in eval/model-shape.ts counts every weight, as model cards do).
   */
  params: number;
  /** Transformer layers. */
  layers: number;
  /** Hidden size (= attention width, n_heads × head_dim). */
  dModel: number;
  /** Width of K (and of V) per layer: n_kv_heads × head_dim (smaller than dModel under GQA/MQA). */
  kvDim: number;
  /** Bytes per weight (2 for bf16, 1 for int8, 0.5 for 4-bit). */
  bytesPerParam: number;
  /** Bytes per KV-cache value (default: bytesPerParam). */
  bytesPerKv?: number;
}

/** One generated sequence. */
export interface SequenceShape {
  promptTokens: number;
  generatedTokens: number;
}

/** Options of the cost model. */
export interface CostOptions {
  /** Sequences decoded together, sharing each read of the weights (default 1). */
  batchSize?: number;
  /**
   * FLOPs per byte of memory bandwidth of the accelerator (default 295: H100 SXM, ~989 TFLOP/s dense
   * bf16 over ~3.35 TB/s).
   */
  intensity?: number;
}

/** The cost of one or more sequences. */
export interface InferenceCost {
  denseFlops: number;
  attentionFlops: number;
  /** denseFlops + attentionFlops. */
  flops: number;
  /** Bytes read from memory (weights + KV cache). */
  bytes: number;
  /** flops + intensity · bytes. */
  eflops: number;
}

function requireNonNegative(name: string, v: number | undefined, positive = false): void {
  if (v === undefined || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw new ConfigError(
      `${name} must be a ${positive ? "positive" : "non-negative"} finite number, got ${v}`,
    );
  }
}

/**
 * Checks every field of a model shape.
 *
 * @throws ConfigError naming the first field that is not a positive finite number.
 */
export function validateModelShape(m: ModelShape): void {
  requireNonNegative("params", m.params, true);
  requireNonNegative("layers", m.layers, true);
  requireNonNegative("dModel", m.dModel, true);
  requireNonNegative("kvDim", m.kvDim, true);
  requireNonNegative("bytesPerParam", m.bytesPerParam, true);
  if (m.bytesPerKv !== undefined) requireNonNegative("bytesPerKv", m.bytesPerKv, true);
}

/** Cost of one sequence under the formulas in the module documentation. */
export function sequenceCost(
  model: ModelShape,
  seq: SequenceShape,
  options: CostOptions = {},
): InferenceCost {
  validateModelShape(model);
  requireNonNegative("promptTokens", seq.promptTokens);
  requireNonNegative("generatedTokens", seq.generatedTokens);
  const batch = options.batchSize ?? 1;
  const intensity = options.intensity ?? 295;
  requireNonNegative("batchSize", batch, true);
  requireNonNegative("intensity", intensity);
  const p = seq.promptTokens;
  const g = seq.generatedTokens;
  const t = p + g;
  const denseFlops = 2 * model.params * t;
  const attentionFlops = model.layers * model.dModel * t * (t + 1);
  const bytesPerKv = model.bytesPerKv ?? model.bytesPerParam;
  const weightBytes = ((model.params * model.bytesPerParam) / batch) * (g + 1);
  // Σ_{j=1..G} (P + j) = G·P + G(G+1)/2 cached positions read.
  const kvBytes = 2 * model.layers * model.kvDim * bytesPerKv * (g * p + (g * (g + 1)) / 2);
  const flops = denseFlops + attentionFlops;
  const bytes = weightBytes + kvBytes;
  return { denseFlops, attentionFlops, flops, bytes, eflops: flops + intensity * bytes };
}

/** Cost of one problem: the sum over its sequences (samples, search branches, refinement rounds). */
export function problemCost(
  model: ModelShape,
  sequences: readonly SequenceShape[],
  options: CostOptions = {},
): InferenceCost {
  const total: InferenceCost = { denseFlops: 0, attentionFlops: 0, flops: 0, bytes: 0, eflops: 0 };
  for (const seq of sequences) {
    const c = sequenceCost(model, seq, options);
    total.denseFlops += c.denseFlops;
    total.attentionFlops += c.attentionFlops;
    total.flops += c.flops;
    total.bytes += c.bytes;
    total.eflops += c.eflops;
  }
  return total;
}
