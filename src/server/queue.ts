import { AbortedError } from "../core/errors.js";
import { ApiError } from "./errors.js";

/**
 * Admission control: at most `concurrency` requests generate at once, at most `maxQueue` wait in
 * FIFO order, and a request beyond both is refused at once with 429. A waiting request whose signal
 * fires leaves the queue.
 */
export class AdmissionQueue {
  private running = 0;
  private readonly waiting: { start: () => void; cancel: () => void }[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
    private readonly onChange: (running: number, queued: number) => void = () => {},
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** True when a request arriving now would be refused. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxQueue;
  }

  /** The 429 answer of a full queue. */
  refusal(): ApiError {
    return new ApiError(
      429,
      `the server is busy: ${this.running} requests generating and ${this.waiting.length} queued (max queue ${this.maxQueue}); retry later`,
      "rate_limit_error",
      "rate_limit_exceeded",
      null,
      { "retry-after": "1" },
    );
  }

  /** Waits for a slot; resolves to the function that gives it back. Rejects with 429 when full. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (this.running < this.concurrency) {
      this.running++;
      this.changed();
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue) return Promise.reject(this.refusal());
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.running++;
          this.changed();
          resolve(this.releaser());
        },
        cancel: () => reject(new AbortedError()),
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        this.changed();
        entry.cancel();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
      this.changed();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.waiting.shift();
      if (next) next.start();
      else this.changed();
    };
  }

  private changed(): void {
    this.onChange(this.running, this.waiting.length);
  }
}
