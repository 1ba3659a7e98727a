import type { LlamaContextSequence, Token } from "node-llama-cpp";

/**
 * Makes `sequence` hold the longest prefix of `tokens` (at most `limit`) that any of `sequences`
 * has cached, copying KV state from another sequence when that one shares more (children of a
 * search node expanded at once all start from their parent's state). Returns the tokens kept, which
 * need no evaluation; the rest of the sequence's cache is erased.
 */
export async function reuseLongestPrefix(
  sequence: LlamaContextSequence,
  sequences: readonly LlamaContextSequence[],
  tokens: Token[],
  limit: number,
): Promise<number> {
  const own = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, limit);
  let donor: LlamaContextSequence | undefined;
  let best = own;
  for (const other of sequences) {
    if (other === sequence) continue;
    const shared = Math.min(other.compareContextTokens(tokens).firstDifferentIndex, limit);
    if (shared > best) {
      best = shared;
      donor = other;
    }
  }
  if (donor && (await copyState(sequence, donor, best))) return best;
  return rewind(sequence, tokens, limit);
}

/**
 * Keeps the longest cached prefix of `tokens` in `sequence` (at most `limit` tokens) and erases the
 * rest; returns how many tokens were kept.
 */
async function rewind(sequence: LlamaContextSequence, tokens: Token[], limit: number): Promise<number> {
  const kept = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, limit);
  if (kept < sequence.nextTokenIndex) {
    await sequence.eraseContextTokenRanges([{ start: kept, end: sequence.nextTokenIndex }]);
  }
  return kept;
}

interface CopyCapable {
  _copyStateFromOtherSequence?: (other: LlamaContextSequence, upToTokenIndex: number) => Promise<boolean>;
}

/** Copies the first `length` cached tokens of `source` into `target`; false when it could not. */
async function copyState(
  target: LlamaContextSequence,
  source: LlamaContextSequence,
  length: number,
): Promise<boolean> {
  // node-llama-cpp keeps KV copying internal (it backs its own decision helpers); callers fall back
  // to evaluating when a future version drops it.
  const copy = (target as unknown as CopyCapable)._copyStateFromOtherSequence;
  return typeof copy === "function" && (await copy.call(target, source, length));
}
