import type { Rng } from "../../core/rng.js";

/** Sampling parameters applied to raw logits. */
export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Keep the k most likely tokens; 0 keeps all. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all. */
  topP: number;
}

/** Raw next-token logits at one position, as parallel arrays. */
export interface Logits {
  tokens: Int32Array;
  values: Float32Array;
}

/** Converts node-llama-cpp's token → logit map into parallel arrays. */
export function logitsFromMap(map: ReadonlyMap<unknown, number>): Logits {
  const tokens = new Int32Array(map.size);
  const values = new Float32Array(map.size);
  let i = 0;
  for (const [token, value] of map) {
    tokens[i] = token as number;
    values[i] = value;
    i++;
  }
  return { tokens, values };
}

/** log Σ exp(values): the normaliser of the raw distribution. */
export function logSumExp(values: Float32Array): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > max) max = v;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * Draws one token from raw logits. Sampling is done here rather than in llama.cpp so that one
 * evaluated position can fan out into many samples (a shared prefix is evaluated once) and so that
 * every sample is reproducible from its own seeded generator.
 */
export function sampleToken(logits: Logits, options: SamplingOptions, rng: Rng): number {
  const { tokens, values } = logits;
  if (options.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < values.length; i++) {
      // Ties go to the lower token id so greedy decoding is stable.
      if (values[i]! > values[best]! || (values[i] === values[best] && tokens[i]! < tokens[best]!)) best = i;
    }
    return tokens[best]!;
  }
  const truncates = (options.topK > 0 && options.topK < values.length) || options.topP < 1;
  // Draw over the kept tokens in token-id order, not probability order: a tiny numeric difference
  // between two runs (another batch layout of the KV cache) then only moves interval edges
  // slightly, instead of swapping two near-equal tokens' intervals and changing the draw.
  const kept = truncates ? truncate(logits, options) : idOrder(tokens);
  let max = Number.NEGATIVE_INFINITY;
  for (const i of kept) if (values[i]! > max) max = values[i]!;
  const weights = new Float64Array(kept.length);
  let total = 0;
  for (let j = 0; j < kept.length; j++) {
    weights[j] = Math.exp((values[kept[j]!]! - max) / options.temperature);
    total += weights[j]!;
  }
  let r = rng.next() * total;
  for (let j = 0; j < kept.length; j++) {
    r -= weights[j]!;
    if (r < 0) return tokens[kept[j]!]!;
  }
  return tokens[kept[kept.length - 1]!]!;
}

/** Indices of `tokens` in ascending token-id order (usually already so: then no sort). */
function idOrder(tokens: Int32Array): number[] {
  const order = Array.from(tokens.keys());
  for (let i = 1; i < tokens.length; i++) {
    if (tokens[i]! < tokens[i - 1]!) return order.sort((a, b) => tokens[a]! - tokens[b]!);
  }
  return order;
}

/** Indices of the top-k / top-p tokens, in ascending token-id order. */
function truncate(logits: Logits, options: SamplingOptions): number[] {
  const { tokens, values } = logits;
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || tokens[a]! - tokens[b]!);
  let kept = options.topK > 0 ? order.slice(0, options.topK) : order;
  if (options.topP < 1) {
    const max = values[kept[0]!]!;
    const weights = kept.map((i) => Math.exp((values[i]! - max) / options.temperature));
    const total = weights.reduce((sum, w) => sum + w, 0);
    let cumulative = 0;
    for (let j = 0; j < kept.length; j++) {
      cumulative += weights[j]! / total;
      if (cumulative >= options.topP) {
        kept = kept.slice(0, j + 1);
        break;
      }
    }
  }
  return kept.sort((a, b) => tokens[a]! - tokens[b]!);
}

/** The `k` most likely tokens with their log-probabilities under the raw distribution. */
export function topLogprobs(logits: Logits, k: number, norm: number): [number, number][] {
  const order = Array.from(logits.values.keys()).sort((a, b) => logits.values[b]! - logits.values[a]!);
  return order.slice(0, k).map((i) => [logits.tokens[i]!, logits.values[i]! - norm]);
}

/** Log-probability of `token` under the raw distribution (−Infinity when absent). */
export function tokenLogprob(logits: Logits, token: number, norm: number): number {
  const index = logits.tokens.indexOf(token);
  return index < 0 ? Number.NEGATIVE_INFINITY : logits.values[index]! - norm;
}
