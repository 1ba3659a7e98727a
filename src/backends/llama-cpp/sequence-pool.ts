import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { AbortedError } from "../../core/errors.js";

/**
 * Hands out the sequences of one llama.cpp context to concurrent requests. A request gets the free
 * sequences whose cached tokens share the longest prefix with its prompt, so KV state left by an
 * earlier request (the same prompt, a parent step of a search tree) is reused.
 */
export class SequencePool {
  private readonly free: LlamaContextSequence[];
  private readonly waiting: {
    count: number;
    prefer: Token[];
    resolve: (s: LlamaContextSequence[]) => void;
  }[] = [];

  constructor(sequences: LlamaContextSequence[]) {
    this.free = [...sequences];
  }

  get size(): number {
    return this.free.length;
  }

  /** Waits for `count` free sequences; the first one shares the longest prefix with `prefer`. */
  acquire(count: number, prefer: Token[], signal?: AbortSignal): Promise<LlamaContextSequence[]> {
    if (this.waiting.length === 0 && this.free.length >= count)
      return Promise.resolve(this.take(count, prefer));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) {
          this.waiting.splice(index, 1);
          reject(new AbortedError());
        }
      };
      // The listener goes when the sequences come: a long-lived signal (a whole run's) would
      // otherwise collect one per request that ever waited.
      const entry = {
        count,
        prefer,
        resolve: (sequences: LlamaContextSequence[]) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(sequences);
        },
      };
      this.waiting.push(entry);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  release(sequences: LlamaContextSequence[]): void {
    this.free.push(...sequences);
    while (this.waiting.length > 0 && this.free.length >= this.waiting[0]!.count) {
      const next = this.waiting.shift()!;
      next.resolve(this.take(next.count, next.prefer));
    }
  }

  private take(count: number, prefer: Token[]): LlamaContextSequence[] {
    const ranked = this.free
      .map((sequence) => ({ sequence, shared: sequence.compareContextTokens(prefer).firstDifferentIndex }))
      .sort((a, b) => b.shared - a.shared);
    const chosen = ranked.slice(0, count).map((r) => r.sequence);
    for (const s of chosen) this.free.splice(this.free.indexOf(s), 1);
    return chosen;
  }
}
