import type { TokenLogprob } from "../core/model.js";

/**
 * Confidence signals read from a candidate's own token log-probabilities (no verifier): the
 * per-token signal and the ways to aggregate it over a trace, as in DeepConf (Fu et al. 2025) and
 * self-certainty (Kang et al. 2025). Higher is always more confident.
 */

/**
 * What one token contributes:
 * - `logprob`: log-probability of the sampled token.
 * - `confidence`: DeepConf's token confidence, minus the mean log-probability of the top-k
 *   alternatives (`topLogprobs`); a peaked distribution scores high. Up to the constant `log k` this
 *   is also Kang et al.'s self-certainty (KL of the uniform distribution from the model's), restricted
 *   to the top k. Falls back to `−logprob` of the sampled token (k = 1) when no alternatives came back.
 * - `entropy`: minus the entropy of the top-k distribution (renormalised); 0 when no alternatives.
 */
export type TokenSignal = "logprob" | "confidence" | "entropy";

/**
 * How token values become one trace score:
 * - `mean`: over all tokens.
 * - `lowest-group`: the lowest mean over a sliding window of `window` tokens (DeepConf's lowest
 *   group confidence: one bad stretch sinks the trace).
 * - `bottom-group`: the mean of the lowest `bottom` fraction of window means (DeepConf's bottom-10%).
 * - `tail`: the mean over the last `window` tokens (DeepConf's tail confidence: the answer region).
 */
export type ConfidenceMetric = "mean" | "lowest-group" | "bottom-group" | "tail";

/** Options of {@link traceConfidence}. */
export interface ConfidenceOptions {
  token: TokenSignal;
  metric: ConfidenceMetric;
  /** Tokens per group (sliding window). */
  window: number;
  /** Fraction of the lowest groups averaged by `bottom-group`. */
  bottom: number;
}

/** The per-token value of one generated token. */
export function tokenValue(t: TokenLogprob, signal: TokenSignal): number {
  if (signal === "logprob") return t.logprob;
  const top = t.top ? Object.values(t.top).filter(Number.isFinite) : [];
  if (signal === "confidence") {
    if (top.length === 0) return -t.logprob;
    return -top.reduce((s, v) => s + v, 0) / top.length;
  }
  if (top.length === 0) return 0;
  const max = Math.max(...top);
  const weights = top.map((v) => Math.exp(v - max));
  const total = weights.reduce((s, w) => s + w, 0);
  let entropy = 0;
  for (const w of weights) {
    const p = w / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return -entropy;
}

/**
 * Means over every window of `window` consecutive values (one mean of all values when there are
 * fewer). Empty input gives an empty list.
 */
export function groupMeans(values: readonly number[], window: number): number[] {
  if (values.length === 0) return [];
  const w = Math.max(1, Math.min(window, values.length));
  const means: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= w) sum -= values[i - w]!;
    if (i >= w - 1) means.push(sum / w);
  }
  return means;
}

/** Aggregates token values into one score; NaN for an empty trace. */
export function aggregateConfidence(
  values: readonly number[],
  metric: ConfidenceMetric,
  window: number,
  bottom = 0.1,
): number {
  if (values.length === 0) return Number.NaN;
  switch (metric) {
    case "mean":
      return values.reduce((s, v) => s + v, 0) / values.length;
    case "lowest-group":
      return Math.min(...groupMeans(values, window));
    case "bottom-group": {
      const groups = groupMeans(values, window).sort((a, b) => a - b);
      const count = Math.max(1, Math.ceil(groups.length * bottom));
      return groups.slice(0, count).reduce((s, v) => s + v, 0) / count;
    }
    case "tail": {
      const tail = values.slice(-Math.max(1, window));
      return tail.reduce((s, v) => s + v, 0) / tail.length;
    }
  }
}

/** A trace's confidence from its token logprobs; NaN when there are none. */
export function traceConfidence(
  logprobs: readonly TokenLogprob[] | undefined,
  options: ConfidenceOptions,
): number {
  if (!logprobs || logprobs.length === 0) return Number.NaN;
  return aggregateConfidence(
    logprobs.map((t) => tokenValue(t, options.token)),
    options.metric,
    options.window,
    options.bottom,
  );
}

/**
 * The `q`-quantile (0…1) of finite values, linearly interpolated between order statistics; NaN when
 * there are none.
 */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
