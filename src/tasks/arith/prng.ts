/**
 * A tiny seeded PRNG (mulberry32) private to the arithmetic task. The task keeps its own generator so
 * the data set it defines depends on nothing else in the library: changing the library's sampling
 * RNG can never silently change the training/test problems. Pure 32-bit integer arithmetic, so the
 * sequence is identical on every platform.
 */
export class ArithRng {
  private state: number;

  /** Seeds the generator; any integer works (it is reduced to 32 bits). */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  intBetween(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units: stable, fast, good enough for partitioning. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
