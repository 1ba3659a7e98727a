import type { LlamaModel, Token } from "node-llama-cpp";
import type { TokenLogprob } from "../../core/model.js";
import type { PositionLogprobs } from "./native.js";

/** Token ids of texts that are exactly one token (a PRM's good/bad tokens), by text. */
export function singleTokenIds(model: LlamaModel, texts: string[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (const text of texts) {
    const tokens = model.tokenize(text, true);
    if (tokens.length === 1) ids.set(text, tokens[0] as number);
  }
  return ids;
}

/**
 * The {@link TokenLogprob} of `token` at a position: its raw log-probability, and with top-k or
 * `include` tokens, the alternatives by text.
 */
export function describeToken(
  model: LlamaModel,
  token: Token,
  position: PositionLogprobs,
  include: Map<string, number>,
): TokenLogprob {
  const norm = position.logNormaliser;
  const logit = position.logits.get(token);
  const entry: TokenLogprob = {
    token: model.detokenize([token], true),
    // llama.cpp sums the normaliser in float32: clamp the rounding so a certain token reads 0.
    logprob: logit === undefined ? Number.NEGATIVE_INFINITY : Math.min(0, logit - norm),
  };
  if (position.top.length > 0 || include.size > 0) {
    const alternatives: Record<string, number> = {};
    for (const [t, lp] of position.top) {
      // Byte-fallback tokens can spell the same text as a regular token: keep the likelier one.
      const text = model.detokenize([t], true);
      if (!(text in alternatives)) alternatives[text] = Math.min(0, lp);
    }
    for (const [text, id] of include) {
      const value = position.logits.get(id);
      if (value !== undefined) alternatives[text] = Math.min(0, value - norm);
    }
    entry.top = alternatives;
  }
  return entry;
}
